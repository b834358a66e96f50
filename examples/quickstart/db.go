package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// openDB opens the database the flags name and says which one it is. This
// is the part of the wiring Kiroku leaves to its caller: the library never
// imports a driver or a bun dialect. PostgreSQL goes through pgx in exec
// mode (bun interpolates values, so pgx's statement cache would only
// churn); SQLite through modernc.org/sqlite with a busy timeout, WAL, foreign
// keys and write transactions that take the write lock at BEGIN.
func openDB(ctx context.Context, o options) (*bun.DB, string, error) {
	var (
		db   *bun.DB
		what string
	)
	if o.postgres != "" {
		u, err := url.Parse(o.postgres)
		if err != nil || u.Host == "" {
			return nil, "", fmt.Errorf("%s / -postgres: not a postgres:// URL", envPostgres)
		}
		q := u.Query()
		q.Set("default_query_exec_mode", "exec")
		u.RawQuery = q.Encode()
		sqldb, err := sql.Open("pgx", u.String())
		if err != nil {
			return nil, "", err
		}
		db, what = bun.NewDB(sqldb, pgdialect.New()), "PostgreSQL "+u.Host+u.Path
	} else {
		if err := os.MkdirAll(o.dataDir, 0o750); err != nil {
			return nil, "", err
		}
		path := filepath.Join(o.dataDir, "kiroku.db")
		sqldb, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"+
			"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate")
		if err != nil {
			return nil, "", err
		}
		db, what = bun.NewDB(sqldb, sqlitedialect.New()), "SQLite "+path
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, "", fmt.Errorf("open %s: %w", what, err)
	}
	return db, what, nil
}
