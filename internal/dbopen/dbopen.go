// Package dbopen opens the databases Kiroku runs on the way its engines
// expect: SQLite through modernc.org/sqlite (pure Go) with WAL, a busy
// timeout, foreign keys and immediate write transactions, and PostgreSQL
// through pgx's database/sql driver in exec mode (bun interpolates values,
// so pgx's statement cache would only churn), or in the mode the DSN names
// (simple_protocol behind a transaction-mode pooler such as PgBouncer).
// StatementCache gives the engines' StatementCache options the pgx mode
// that caches the few statements whose values they bind.
//
// The engines never import a driver or a bun dialect; programs (the
// examples) and tests do, through this package.
package dbopen

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" database/sql driver
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"

	"github.com/kirokuhq/kiroku/internal/storage"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// SQLiteDSN returns the modernc.org/sqlite DSN for a database file: 10 s busy
// timeout (first, so that the journal-mode switch, which needs an exclusive
// lock, waits instead of failing when processes start at once), WAL journal,
// foreign keys on, and write transactions that take the write lock at BEGIN
// (no upgrade deadlocks).
func SQLiteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// StatementCache returns the value of the engines' StatementCache options
// for db: on PostgreSQL, pgx.QueryExecModeCacheStatement, which has pgx
// prepare a statement whose values are bound once per connection and
// reuse it; nil on SQLite, and when db speaks pgx's simple protocol (a
// transaction-mode pooler, which cannot keep a prepared statement, is in
// front of it).
func StatementCache(ctx context.Context, db *bun.DB) (any, error) {
	if db.Dialect().Name() != dialect.PG {
		return nil, nil
	}
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = conn.Close() }()
	var mode pgx.QueryExecMode
	if err := conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("dbopen: statement cache: not a pgx connection: %T", dc)
		}
		mode = c.Conn().Config().DefaultQueryExecMode
		return nil
	}); err != nil {
		return nil, err
	}
	if mode == pgx.QueryExecModeSimpleProtocol {
		return nil, nil
	}
	return pgx.QueryExecModeCacheStatement, nil
}

// ExecModeKey is the pgx DSN parameter that chooses how statements are sent.
const ExecModeKey = "default_query_exec_mode"

// PostgresDSN adds default_query_exec_mode=exec, unless the DSN names a mode
// already (simple_protocol behind a transaction-mode pooler), and
// search_path when schema is not empty, to a pgx DSN in URL form
// (postgres://user@host/db) or keyword/value form (host=… dbname=…).
func PostgresDSN(dsn, schema string) (string, error) {
	if !strings.Contains(dsn, "://") {
		if !strings.Contains(dsn, ExecModeKey+"=") {
			dsn += " " + ExecModeKey + "=exec"
		}
		if schema != "" {
			dsn += " search_path=" + schema
		}
		return dsn, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	q := u.Query()
	if !q.Has(ExecModeKey) {
		q.Set(ExecModeKey, "exec")
	}
	if schema != "" {
		q.Set("search_path", schema)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// OpenSQLite opens the SQLite database file at path with SQLiteDSN,
// keeping idleConns idle connections.
func OpenSQLite(path string) (*bun.DB, error) {
	sqldb, err := sql.Open("sqlite", SQLiteDSN(path))
	if err != nil {
		return nil, err
	}
	keepIdle(sqldb)
	return bun.NewDB(sqldb, sqlitedialect.New()), nil
}

// Close closes db, a database opened here, and drops what package storage
// keeps for it (the SQLite statements storage.QueryBound keeps prepared,
// which would otherwise keep the closed handle).
func Close(db *bun.DB) error {
	storage.Forget(db)
	return db.Close()
}

// keepIdle keeps idleConns idle connections of db for five minutes.
// database/sql keeps two by default: under a few concurrent requests
// every other query would open a new connection, which on PostgreSQL
// forks a backend and on SQLite opens the file, runs SQLiteDSN's pragmas
// and parses the schema again.
func keepIdle(db *sql.DB) {
	db.SetMaxIdleConns(idleConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
}

// idleConns is how many idle connections OpenSQLite and OpenPostgres
// keep.
const idleConns = 16

// OpenPostgres opens dsn (see PostgresDSN) with pgx and pgdialect,
// keeping idleConns idle connections.
func OpenPostgres(dsn string) (*bun.DB, error) {
	sqldb, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	keepIdle(sqldb)
	return bun.NewDB(sqldb, pgdialect.New()), nil
}

// Open opens PostgreSQL when postgres (a DSN) is set, otherwise the SQLite
// file sqlitePath, and pings it.
func Open(ctx context.Context, postgres, sqlitePath string) (*bun.DB, error) {
	var db *bun.DB
	var err error
	if postgres != "" {
		dsn, derr := PostgresDSN(postgres, "")
		if derr != nil {
			return nil, fmt.Errorf("postgres DSN: %w", derr)
		}
		db, err = OpenPostgres(dsn)
	} else {
		db, err = OpenSQLite(sqlitePath)
	}
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}

// Copier runs COPY … FROM STDIN through pgx on a connection of a database
// opened by OpenPostgres: what customer.Config.Copier needs (the engines
// import no driver, so the program provides it). The zero value is ready.
type Copier struct{}

// CopyFrom runs query, a COPY … FROM STDIN statement, on conn (inside the
// transaction open on it, if any) with data in the statement's format, and
// returns the rows copied. conn must be a pgx connection.
func (Copier) CopyFrom(ctx context.Context, conn *sql.Conn, query string, data io.Reader) (int64, error) {
	var n int64
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("dbopen: copy: %T is not a pgx connection", dc)
		}
		tag, err := c.Conn().PgConn().CopyFrom(ctx, data, query)
		n = tag.RowsAffected()
		return err
	})
	return n, err
}
