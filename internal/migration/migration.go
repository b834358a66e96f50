// Package migration applies Kiroku's embedded SQL migrations through
// bun/migrate, safely when several processes start at once.
//
// Each engine owns a Set: an fs.FS with one directory per dialect
// ("migrations/postgres", "migrations/sqlite") holding bun/migrate files named
// NNNNNNNNNNNNNN_name.tx.up.sql (statements separated by "--bun:split").
// Every set keeps its own bookkeeping table, kiroku_migrations_<set name>,
// so engines can be migrated independently and in dependency order.
//
// Concurrency: on PostgreSQL the whole run holds a session-level advisory
// lock on a dedicated connection, so a second process waits and then finds
// nothing left to do. On SQLite the run holds a row in kiroku_migration_lock
// (a lock older than StaleLock is taken over, for a process that died
// holding it); waiting processes poll until the row is free or ctx ends.
//
// A database that has applied a migration this version does not ship (one
// made by an earlier pre-release, whose initial migrations were rewritten,
// or by a newer release) is refused with ErrUnknownMigration before any set
// is touched, so it is never half-upgraded.
package migration

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"github.com/kirokuhq/kiroku/internal/storage"
)

// Set is one engine's migrations.
type Set struct {
	// Name identifies the set; it names the bookkeeping table
	// (kiroku_migrations_<Name>), so it never changes once released.
	Name string
	// FS holds the directories "migrations/postgres" and
	// "migrations/sqlite" (typically an embed.FS).
	FS fs.FS
}

// StaleLock is how old a SQLite migration lock must be before another
// process takes it over.
const StaleLock = 10 * time.Minute

// pgLockKey is the advisory lock key: "kiroku" as bytes.
const pgLockKey = 0x6b69726f6b75

// ErrUnknownMigration reports a database that has applied a migration the
// running version does not ship: it was made by another version of Kiroku
// (before 1.0, one whose initial migrations were since rewritten) and cannot
// be upgraded in place. Nothing was migrated; migrate a new database and
// copy the data over.
var ErrUnknownMigration = errors.New("database was made by another version of Kiroku and cannot be upgraded in place")

// Run applies the unapplied migrations of the sets, in order. It first
// checks every set and refuses with ErrUnknownMigration, migrating nothing,
// when the database has applied a migration that a set does not contain.
func Run(ctx context.Context, db *bun.DB, sets ...Set) error {
	d, err := storage.Of(db)
	if err != nil {
		return err
	}
	unlock, err := lock(ctx, db, d)
	if err != nil {
		return fmt.Errorf("migration: lock: %w", err)
	}
	defer unlock()
	ms := make([]*migrate.Migrator, len(sets))
	for i, s := range sets {
		if ms[i], err = check(ctx, db, d, s); err != nil {
			return fmt.Errorf("migration: %s: %w", s.Name, err)
		}
	}
	for i, m := range ms {
		if _, err := m.Migrate(ctx); err != nil {
			return fmt.Errorf("migration: %s: %w", sets[i].Name, err)
		}
	}
	return nil
}

// check prepares the migrator of s and verifies that every migration the
// database has applied for s is one of its own.
func check(ctx context.Context, db *bun.DB, d storage.Dialect, s Set) (*migrate.Migrator, error) {
	sub, err := fs.Sub(s.FS, "migrations/"+d.String())
	if err != nil {
		return nil, err
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(sub); err != nil {
		return nil, err
	}
	m := migrate.NewMigrator(db, ms,
		migrate.WithTableName("kiroku_migrations_"+s.Name),
		migrate.WithLocksTableName("kiroku_migrations_"+s.Name+"_locks"),
		migrate.WithMarkAppliedOnSuccess(true),
	)
	if err := m.Init(ctx); err != nil {
		return nil, err
	}
	unknown, err := m.MissingMigrations(ctx)
	if err != nil {
		return nil, err
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("%w: it has applied migration %s, which this version does not have",
			ErrUnknownMigration, unknown[0].Name)
	}
	return m, nil
}

func lock(ctx context.Context, db *bun.DB, d storage.Dialect) (func(), error) {
	if d == storage.Postgres {
		conn, err := db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", pgLockKey); err != nil {
			_ = conn.Close()
			return nil, err
		}
		return func() {
			// A fresh context: the unlock must happen even when ctx ended.
			_, _ = conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock(?)", pgLockKey)
			_ = conn.Close()
		}, nil
	}
	for {
		acquired, err := tryLockSQLite(ctx, db, time.Now())
		if acquired {
			return func() {
				_, _ = db.ExecContext(context.Background(), "DELETE FROM kiroku_migration_lock WHERE id = 1")
			}, nil
		}
		if err != nil && !storage.Busy(err) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// tryLockSQLite makes one attempt at the SQLite migration lock. A busy
// database is reported as an error the caller retries.
func tryLockSQLite(ctx context.Context, db *bun.DB, now time.Time) (bool, error) {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS kiroku_migration_lock (
		id INTEGER PRIMARY KEY CHECK (id = 1), acquired_at INTEGER NOT NULL)`); err != nil {
		return false, err
	}
	if _, err := db.ExecContext(ctx, "DELETE FROM kiroku_migration_lock WHERE acquired_at < ?",
		now.Add(-StaleLock).UnixMilli()); err != nil {
		return false, err
	}
	res, err := db.ExecContext(ctx,
		"INSERT INTO kiroku_migration_lock (id, acquired_at) VALUES (1, ?) ON CONFLICT DO NOTHING", now.UnixMilli())
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
