package main

import (
	"context"
	"net/url"
	"os"
	"path/filepath"

	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/internal/dbopen"
)

// openDB opens the database the flags name and says which one it is. This
// is the part of the wiring Kiroku leaves to its caller: the library never
// imports a driver or a bun dialect (dbopen does, with the settings the
// engines expect).
func openDB(ctx context.Context, o options) (*bun.DB, string, error) {
	if o.postgres != "" {
		db, err := dbopen.Open(ctx, o.postgres, "")
		return db, "PostgreSQL " + redact(o.postgres), err
	}
	if err := os.MkdirAll(o.dataDir, 0o750); err != nil {
		return nil, "", err
	}
	path := filepath.Join(o.dataDir, "kiroku.db")
	db, err := dbopen.Open(ctx, "", path)
	return db, "SQLite " + path, err
}

// redact returns dsn's host and database for display, without a password.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		return "(" + envPostgres + " / -postgres)"
	}
	return u.Host + u.Path
}
