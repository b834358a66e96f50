package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver (pure Go)
)

// openDB opens the database the flags name and says which one it is. This
// is the part of the wiring Kiroku leaves to its caller: the library never
// imports a driver or a bun dialect.
func openDB(ctx context.Context, o options) (*bun.DB, string, error) {
	var db *bun.DB
	var where string
	if o.postgres != "" {
		dsn, err := postgresDSN(o.postgres)
		if err != nil {
			return nil, "", fmt.Errorf("postgres DSN: %w", err)
		}
		sqldb, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, "", err
		}
		db, where = bun.NewDB(sqldb, pgdialect.New()), "PostgreSQL "+redact(dsn)
	} else {
		if err := os.MkdirAll(o.dataDir, 0o750); err != nil {
			return nil, "", err
		}
		path := filepath.Join(o.dataDir, "kiroku.db")
		sqldb, err := sql.Open("sqlite", sqliteDSN(path))
		if err != nil {
			return nil, "", err
		}
		db, where = bun.NewDB(sqldb, sqlitedialect.New()), "SQLite "+path
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, "", fmt.Errorf("open %s: %w", where, err)
	}
	return db, where, nil
}

// sqliteDSN is the modernc.org/sqlite DSN Kiroku expects for a database
// file: a 10 s busy timeout (first, so that switching to WAL waits for other
// processes instead of failing), WAL journal, foreign keys on, and write
// transactions that take the write lock at BEGIN.
func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// postgresDSN adds default_query_exec_mode=exec to a pgx DSN, in URL form
// (postgres://user@host/db) or keyword/value form (host=… dbname=…): bun
// interpolates the values into its queries, so pgx's statement cache would
// only churn.
func postgresDSN(dsn string) (string, error) {
	if !strings.Contains(dsn, "://") {
		return dsn + " default_query_exec_mode=exec", nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("default_query_exec_mode", "exec")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// redact returns dsn's host and database for display, without a password.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		return "(" + envPostgres + " / -postgres)"
	}
	return u.Host + u.Path
}
