package customer

import (
	"context"
	"database/sql"
	"io"

	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/internal/storage"
)

// Copier bulk-loads rows into PostgreSQL with COPY … FROM STDIN through the
// embedder's driver (Kiroku imports none): set Config.Copier to one and
// Import writes the customers it creates, their assignees and the
// assignment log with COPY instead of multi-row INSERTs: cheaper for the
// database, and on PostgreSQL the way an import reaches 10 000 rows/s (see
// the package doc's figures). With the pgx driver (jackc/pgx/v5/stdlib) it is:
//
//	func (pgxCopier) CopyFrom(ctx context.Context, conn *sql.Conn, query string, data io.Reader) (n int64, err error) {
//		err = conn.Raw(func(dc any) error {
//			tag, err := dc.(*stdlib.Conn).Conn().PgConn().CopyFrom(ctx, data, query)
//			n = tag.RowsAffected()
//			return err
//		})
//		return n, err
//	}
type Copier interface {
	// CopyFrom runs query, a COPY … FROM STDIN statement, on conn, inside
	// the transaction open on it (conn.Raw reaches the driver's
	// connection), sending data, the rows in COPY's text format, and
	// returns the number of rows copied. Errors should be the driver's
	// (they are mapped like those of any statement: a refused row is a
	// constraint violation).
	CopyFrom(ctx context.Context, conn *sql.Conn, query string, data io.Reader) (int64, error)
}

// tableWriter writes rows, given as their values one row after the other,
// into one table: a storage.Bulk, or a copyWriter.
type tableWriter interface {
	Exec(ctx context.Context, values []any) error
	Close() error
}

// copyWriter writes rows into one table through the configured Copier on
// the import's connection.
type copyWriter struct {
	s    *Service
	spec storage.BulkInsert
}

// Exec copies the rows of values.
func (w copyWriter) Exec(ctx context.Context, values []any) error {
	query, data, err := w.spec.Copy(values)
	if err != nil {
		return err
	}
	_, err = w.s.cfg.Copier.CopyFrom(ctx, w.s.copy, query, data)
	if data.Err() != nil {
		// The driver failed the COPY with our error; report ours.
		return data.Err()
	}
	return storage.Err(err)
}

// Close does nothing: a COPY holds no statement.
func (copyWriter) Close() error { return nil }

// tableWriter returns the writer of spec's rows through tx: a copyWriter
// when s imports through Config.Copier (s.copy is set), else a
// storage.Bulk.
func (s *Service) tableWriter(tx bun.IDB, spec storage.BulkInsert) (tableWriter, error) {
	if s.copy != nil {
		return copyWriter{s: s, spec: spec}, nil
	}
	return spec.Prepare(tx)
}

// copyConn returns a connection for an import through the Copier: one of
// the primary's pool when a Copier is configured, the database is
// PostgreSQL and s is not bound to a caller's transaction (WithDB); else
// nil, and the import inserts.
func (s *Service) copyConn(ctx context.Context) (*bun.Conn, error) {
	db, ok := s.db.(*bun.DB)
	if s.cfg.Copier == nil || !ok || s.dialect != storage.Postgres {
		return nil, nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &conn, nil
}
