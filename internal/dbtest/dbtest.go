// Package dbtest gives tests a fresh, isolated database on each supported
// dialect.
//
//   - SQLite(t): a new database file in t.TempDir(), WAL, busy timeout,
//     foreign keys on, immediate write transactions.
//   - Postgres(t): a new schema on the server named by the environment
//     variable KIROKU_TEST_POSTGRES_URL (skipped when unset), dropped when
//     the test ends.
//   - Each(t, fn): runs fn as the subtests "sqlite" and "postgres", so every
//     store test proves both dialects behave the same.
//
// The returned *bun.DB is closed on cleanup. Migrations are not run: a test
// calls the engine's Migrate, exactly as an embedding program would.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver used in tests
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // the SQLite driver used in tests
)

// EnvPostgres names the environment variable holding the PostgreSQL DSN.
const EnvPostgres = "KIROKU_TEST_POSTGRES_URL"

// SQLiteDSN returns the recommended modernc.org/sqlite DSN for a database
// file: 10 s busy timeout, WAL journal, foreign keys on, and write
// transactions that take the write lock at BEGIN (no upgrade deadlocks).
func SQLiteDSN(path string) string {
	// busy_timeout comes first so that the journal-mode switch, which needs
	// an exclusive lock, waits instead of failing when processes start at once.
	return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// OpenSQLite opens the SQLite database file at path with SQLiteDSN.
func OpenSQLite(path string) (*bun.DB, error) {
	sqldb, err := sql.Open("sqlite", SQLiteDSN(path))
	if err != nil {
		return nil, err
	}
	return bun.NewDB(sqldb, sqlitedialect.New()), nil
}

// openers remembers how each test database was opened, for Reopen.
var openers sync.Map // *bun.DB → func() (*bun.DB, error)

func track(t testing.TB, db *bun.DB, open func() (*bun.DB, error)) {
	openers.Store(db, open)
	t.Cleanup(func() { openers.Delete(db) })
}

// Reopen returns a second, independent handle (its own connection pool) on
// the same database as db, which must come from SQLite or Postgres: what a
// second process would have. It is closed on cleanup.
func Reopen(t testing.TB, db *bun.DB) *bun.DB {
	t.Helper()
	open, ok := openers.Load(db)
	if !ok {
		t.Fatalf("dbtest: Reopen: db was not opened by dbtest")
	}
	db2, err := open.(func() (*bun.DB, error))()
	if err != nil {
		t.Fatalf("dbtest: reopen: %v", err)
	}
	t.Cleanup(func() { _ = db2.Close() })
	return db2
}

// SQLite returns a fresh SQLite database in t.TempDir().
func SQLite(t testing.TB) *bun.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kiroku.db")
	db, err := OpenSQLite(path)
	if err != nil {
		t.Fatalf("dbtest: open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	track(t, db, func() (*bun.DB, error) { return OpenSQLite(path) })
	return db
}

// PostgresDSN returns dsn with the settings Kiroku expects of pgx (exec mode,
// since bun interpolates values) and, when schema is not empty, that schema
// as the search path.
func PostgresDSN(dsn, schema string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("default_query_exec_mode", "exec")
	if schema != "" {
		q.Set("search_path", schema)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// OpenPostgres opens dsn (see PostgresDSN) with pgx and pgdialect.
func OpenPostgres(dsn string) (*bun.DB, error) {
	sqldb, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	return bun.NewDB(sqldb, pgdialect.New()), nil
}

// Postgres returns a database bound to a fresh schema, or skips the test when
// KIROKU_TEST_POSTGRES_URL is unset.
func Postgres(t testing.TB) *bun.DB {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skip("dbtest: " + EnvPostgres + " is not set")
	}
	admin, err := OpenPostgres(mustDSN(t, base, ""))
	if err != nil {
		t.Fatalf("dbtest: open postgres: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "kiroku_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		_ = admin.Close()
		t.Fatalf("dbtest: create schema: %v", err)
	}
	dsn := mustDSN(t, base, schema)
	db, err := OpenPostgres(dsn)
	if err != nil {
		t.Fatalf("dbtest: open postgres: %v", err)
	}
	db.SetMaxOpenConns(8)
	track(t, db, func() (*bun.DB, error) { return OpenPostgres(dsn) })
	t.Cleanup(func() {
		_ = db.Close()
		_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		_ = admin.Close()
	})
	return db
}

func mustDSN(t testing.TB, dsn, schema string) string {
	t.Helper()
	s, err := PostgresDSN(dsn, schema)
	if err != nil {
		t.Fatalf("dbtest: %s: %v", EnvPostgres, err)
	}
	return s
}

// Each runs fn on SQLite and, when KIROKU_TEST_POSTGRES_URL is set, on
// PostgreSQL, as parallel subtests named "sqlite" and "postgres".
func Each(t *testing.T, fn func(t *testing.T, db *bun.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, SQLite(t))
	})
	if os.Getenv(EnvPostgres) == "" {
		return
	}
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, Postgres(t))
	})
}
