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
//   - AppRole(t, db): the same PostgreSQL database seen by an ordinary role,
//     for tests of what privileges forbid.
//
// The returned *bun.DB is closed on cleanup. Migrations are not run: a test
// calls the engine's Migrate, exactly as an embedding program would.
//
// Every statement a test database runs (on both dialects) passes through
// the query checker of internal/citus: a join or subquery between tables
// distributed by tenant without the tenant equality fails the test at
// cleanup. TenantLinks tells how many such joins a database has checked.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kirokuhq/kiroku/internal/citus"
	"github.com/kirokuhq/kiroku/internal/dbopen"
	"github.com/kirokuhq/kiroku/internal/storage"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// EnvPostgres names the environment variable holding the PostgreSQL DSN.
const EnvPostgres = "KIROKU_TEST_POSTGRES_URL"

// openers remembers how each test database was opened, for Reopen.
var openers sync.Map // *bun.DB → func() (*bun.DB, error)

// hooks holds each test database's query checker.
var hooks sync.Map // *bun.DB → *citus.Hook

var checker = sync.OnceValues(func() (*citus.Checker, error) {
	plan, err := citus.DefaultPlan()
	if err != nil {
		return nil, err
	}
	return citus.NewChecker(plan), nil
})

func track(t testing.TB, db *bun.DB, open func() (*bun.DB, error)) {
	openers.Store(db, open)
	t.Cleanup(func() { openers.Delete(db) })
	checkQueries(t, db)
}

// checkQueries adds the tenant-equality checker to db; the test fails at
// cleanup when a statement broke the rule.
func checkQueries(t testing.TB, db *bun.DB) {
	t.Helper()
	c, err := checker()
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	h := citus.NewHook(c)
	storage.AddQueryHook(db, h)
	hooks.Store(db, h)
	t.Cleanup(func() {
		hooks.Delete(db)
		storage.Forget(db)
		if p := h.Report().Problems; len(p) > 0 {
			t.Errorf("dbtest: %d statements join tables distributed by tenant without the tenant equality; the first: %s", len(p), p[0])
		}
	})
}

// TenantLinks returns how many joins and subqueries between tables
// distributed by tenant the statements of db (a database from SQLite,
// Postgres or Reopen) have had so far, and the descriptions of those that
// lacked the tenant equality.
func TenantLinks(t testing.TB, db *bun.DB) (int, []string) {
	t.Helper()
	h, ok := hooks.Load(db)
	if !ok {
		t.Fatalf("dbtest: TenantLinks: db was not opened by dbtest")
	}
	r := h.(*citus.Hook).Report()
	return r.Links, r.Problems
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
	checkQueries(t, db2)
	return db2
}

// SQLite returns a fresh SQLite database in t.TempDir().
func SQLite(t testing.TB) *bun.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kiroku.db")
	db, err := dbopen.OpenSQLite(path)
	if err != nil {
		t.Fatalf("dbtest: open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	track(t, db, func() (*bun.DB, error) { return dbopen.OpenSQLite(path) })
	return db
}

// Postgres returns a database bound to a fresh schema, or skips the test when
// KIROKU_TEST_POSTGRES_URL is unset.
func Postgres(t testing.TB) *bun.DB {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skip("dbtest: " + EnvPostgres + " is not set")
	}
	admin, err := dbopen.OpenPostgres(mustDSN(t, base, ""))
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
	db, err := dbopen.OpenPostgres(dsn)
	if err != nil {
		t.Fatalf("dbtest: open postgres: %v", err)
	}
	db.SetMaxOpenConns(8)
	track(t, db, func() (*bun.DB, error) { return dbopen.OpenPostgres(dsn) })
	t.Cleanup(func() {
		_ = db.Close()
		_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		_ = admin.Close()
	})
	return db
}

func mustDSN(t testing.TB, dsn, schema string) string {
	t.Helper()
	s, err := dbopen.PostgresDSN(dsn, schema)
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

// AppRole returns a second handle on db's database connected as a fresh
// ordinary role (no superuser, no privileges but on the test schema), the
// way a production application connects, so that privileges are enforced;
// the role is dropped with what it owns on cleanup. On SQLite, which has no
// roles, it returns db.
func AppRole(t testing.TB, db *bun.DB) *bun.DB {
	t.Helper()
	if db.Dialect().Name() != dialect.PG {
		return db
	}
	ctx := context.Background()
	var schema string
	if err := db.NewRaw("SELECT current_schema()").Scan(ctx, &schema); err != nil {
		t.Fatalf("dbtest: current schema: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	role := "kiroku_app_" + hex.EncodeToString(b[:])
	for _, q := range []string{"CREATE ROLE " + role, "GRANT USAGE, CREATE ON SCHEMA " + schema + " TO " + role} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("dbtest: %s: %v", q, err)
		}
	}
	dsn := mustDSN(t, os.Getenv(EnvPostgres), schema)
	if strings.Contains(dsn, "://") {
		dsn += "&role=" + role
	} else {
		dsn += " role=" + role
	}
	app, err := dbopen.OpenPostgres(dsn)
	if err != nil {
		t.Fatalf("dbtest: open postgres as %s: %v", role, err)
	}
	checkQueries(t, app)
	t.Cleanup(func() {
		_ = app.Close()
		_, _ = db.ExecContext(context.Background(), "DROP OWNED BY "+role)
		_, _ = db.ExecContext(context.Background(), "DROP ROLE "+role)
	})
	return app
}

// StatementCache is dbopen.StatementCache of db, failing t on an error: the
// value of the engines' StatementCache options for a test's database.
func StatementCache(t testing.TB, db *bun.DB) any {
	t.Helper()
	mode, err := dbopen.StatementCache(context.Background(), db)
	if err != nil {
		t.Fatalf("dbtest: statement cache: %v", err)
	}
	return mode
}
