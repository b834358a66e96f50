package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Bound-parameter limits per statement: SQLite's SQLITE_MAX_VARIABLE_NUMBER
// (its default since 3.32) and PostgreSQL's protocol limit (a 16-bit count).
const (
	sqliteMaxParams   = 32766
	postgresMaxParams = 65535
)

// BulkInsert describes a multi-row INSERT into one table whose values are
// bound as parameters ($n on PostgreSQL, ? on SQLite) instead of being
// written into the SQL text: the statement of a given number of rows is
// built once, and bun's per-row reflection and value formatting are not
// paid. Prepare it on a transaction for the rows to write.
type BulkInsert struct {
	Table   string
	Columns []string
	// Casts are the PostgreSQL types that a column's parameter is cast to
	// (e.g. "text[]" for a column given as an array literal), by column
	// name; other parameters take the column's type.
	Casts map[string]string
	// Suffix follows the VALUES list, e.g. " RETURNING id".
	Suffix string
}

// sqlDB is what *sql.DB, *sql.Tx and *sql.Conn share.
type sqlDB interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// rawDB is the database/sql handle under db.
func rawDB(db bun.IDB) (sqlDB, error) {
	switch x := db.(type) {
	case *bun.DB:
		return x.DB, nil
	case bun.Tx:
		return x.Tx, nil
	case *bun.Tx:
		return x.Tx, nil
	case bun.Conn:
		return x.Conn, nil
	case *bun.Conn:
		return x.Conn, nil
	}
	return nil, fmt.Errorf("storage: no database/sql handle under %T", db)
}

// Bulk is a BulkInsert prepared on one database handle. On SQLite it
// prepares a statement when it runs the second time (one per number of
// rows: a full one and the last, shorter one), so that SQLite parses each
// once however many batches there are, and a single use costs no more than
// a plain statement; on
// PostgreSQL the driver's statement cache does that (or the simple
// protocol, behind a transaction pooler, sends the values inline). Close it
// before the transaction ends. A Bulk is not safe for concurrent use.
type Bulk struct {
	d       Dialect
	db      sqlDB
	spec    BulkInsert
	maxRows int
	sql     map[int]string
	stmts   map[int]*sql.Stmt
	ran     map[int]bool // statements (by rows) run once, unprepared
	args    []any
	// lastTime is the last time bound on SQLite, lastText its text.
	lastTime time.Time
	lastText string
}

// Prepare binds b to db (typically the transaction the rows are written
// in; a bun.Tx, bun.Conn or *bun.DB). Statements bypass db's query hooks.
func (b BulkInsert) Prepare(db bun.IDB) (*Bulk, error) {
	d, err := Of(db)
	if err != nil {
		return nil, err
	}
	raw, err := rawDB(db)
	if err != nil {
		return nil, err
	}
	if len(b.Columns) == 0 {
		return nil, errors.New("storage: bulk insert into " + b.Table + ": no columns")
	}
	limit := sqliteMaxParams
	if d == Postgres {
		limit = postgresMaxParams
	}
	return &Bulk{d: d, db: raw, spec: b, maxRows: limit / len(b.Columns), sql: map[int]string{}, stmts: map[int]*sql.Stmt{}, ran: map[int]bool{}}, nil
}

// MaxRows is the most rows one statement writes.
func (b *Bulk) MaxRows() int { return b.maxRows }

// Exec inserts rows, given as their values one row after the other
// (len(values) a multiple of the columns), in statements of at most
// MaxRows rows; give NULL as nil. Values are bound as the driver binds
// them, after driver.Valuer; on SQLite, times are written as bun writes
// them, so that they compare as text with the rows bun wrote. The error is
// mapped by Err.
func (b *Bulk) Exec(ctx context.Context, values []any) error {
	return b.run(ctx, values, nil)
}

// Query is Exec for a statement with a RETURNING suffix: scan is called
// for every returned row.
func (b *Bulk) Query(ctx context.Context, values []any, scan func(*sql.Rows) error) error {
	return b.run(ctx, values, scan)
}

func (b *Bulk) run(ctx context.Context, values []any, scan func(*sql.Rows) error) error {
	cols := len(b.spec.Columns)
	if len(values)%cols != 0 {
		return fmt.Errorf("storage: bulk insert into %s: %d values for %d columns", b.spec.Table, len(values), cols)
	}
	for from := 0; from < len(values); from += b.maxRows * cols {
		chunk := values[from:min(from+b.maxRows*cols, len(values))]
		if err := b.exec(ctx, chunk, scan); err != nil {
			return Err(err)
		}
	}
	return nil
}

// exec runs the statement of len(values)/columns rows.
func (b *Bulk) exec(ctx context.Context, values []any, scan func(*sql.Rows) error) error {
	n := len(values) / len(b.spec.Columns)
	args := b.args[:0]
	for _, v := range values {
		v, err := b.bind(v)
		if err != nil {
			return fmt.Errorf("storage: bulk insert into %s: %w", b.spec.Table, err)
		}
		args = append(args, v)
	}
	b.args = args[:0]
	defer clear(args) // keep no values alive between batches
	st, err := b.stmt(ctx, n)
	if err != nil {
		return err
	}
	if scan == nil {
		if st != nil {
			_, err = st.ExecContext(ctx, args...)
		} else {
			_, err = b.db.ExecContext(ctx, b.query(n), args...)
		}
		return err
	}
	var rows *sql.Rows
	if st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = b.db.QueryContext(ctx, b.query(n), args...)
	}
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// stmt is the prepared statement of n rows, or nil when the statement is
// to run unprepared: on PostgreSQL, and on SQLite the first time.
func (b *Bulk) stmt(ctx context.Context, n int) (*sql.Stmt, error) {
	if st, ok := b.stmts[n]; ok || b.d == Postgres || !b.ran[n] {
		b.ran[n] = true
		return st, nil
	}
	st, err := b.db.PrepareContext(ctx, b.query(n))
	if err != nil {
		return nil, err
	}
	b.stmts[n] = st
	return st, nil
}

// query is the statement of n rows.
func (b *Bulk) query(n int) string {
	if q, ok := b.sql[n]; ok {
		return q
	}
	var q strings.Builder
	q.WriteString("INSERT INTO " + b.spec.Table + " (" + strings.Join(b.spec.Columns, ", ") + ") VALUES ")
	p := 0
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteByte('(')
		for j, c := range b.spec.Columns {
			if j > 0 {
				q.WriteString(", ")
			}
			p++
			if b.d == SQLite {
				q.WriteByte('?')
				continue
			}
			q.WriteString("$" + strconv.Itoa(p))
			if t := b.spec.Casts[c]; t != "" {
				q.WriteString("::" + t)
			}
		}
		q.WriteByte(')')
	}
	q.WriteString(b.spec.Suffix)
	b.sql[n] = q.String()
	return b.sql[n]
}

// bind converts v for the driver. pgx takes every value as it is (it
// calls driver.Valuer itself and encodes UUIDs without text). For SQLite,
// driver.Valuer's value, and times as bun's SQLite dialect writes them
// (the last time's text is kept: the rows of a batch share their times).
func (b *Bulk) bind(v any) (any, error) {
	if b.d == Postgres {
		return v, nil
	}
	if vr, ok := v.(driver.Valuer); ok {
		var err error
		if v, err = vr.Value(); err != nil {
			return nil, err
		}
	}
	if t, ok := v.(time.Time); ok {
		if !t.Equal(b.lastTime) || b.lastText == "" {
			b.lastTime, b.lastText = t, t.UTC().Format(sqliteTime)
		}
		return b.lastText, nil
	}
	return v, nil
}

// sqliteTime is how bun writes times into SQL (schema.BaseDialect's
// AppendTime), which SQLite keeps as text.
const sqliteTime = "2006-01-02 15:04:05.999999-07:00"

// Close releases the prepared statements.
func (b *Bulk) Close() error {
	var errs []error
	for n, st := range b.stmts {
		errs = append(errs, st.Close())
		delete(b.stmts, n)
	}
	return errors.Join(errs...)
}
