package dbtest

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kirokuhq/kiroku/internal/dbopen"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// Pooler returns a second handle on db's database (which must come from
// SQLite or Postgres) that behaves as a connection behind a
// transaction-mode pooler (PgBouncer pool_mode=transaction) requires: on
// PostgreSQL it speaks pgx's simple protocol (no prepared statements at
// all), and on both dialects any statement that leaves state in the
// session (see SessionState) fails t. It is closed on cleanup. Migrate
// stays on db: it needs a session (its advisory lock).
func Pooler(t testing.TB, db *bun.DB) *bun.DB {
	t.Helper()
	var pooled *bun.DB
	if db.Dialect().Name() == dialect.PG {
		var schema string
		if err := db.QueryRowContext(context.Background(), "SELECT current_schema()").Scan(&schema); err != nil {
			t.Fatalf("dbtest: pooler: %v", err)
		}
		var err error
		pooled, err = dbopen.OpenPostgres(mustDSN(t, simpleProtocol(os.Getenv(EnvPostgres)), schema))
		if err != nil {
			t.Fatalf("dbtest: pooler: %v", err)
		}
		t.Cleanup(func() { _ = pooled.Close() })
	} else {
		pooled = Reopen(t, db)
	}
	guarded := storage.WithQueryHook(pooled, sessionGuard{t: t})
	t.Cleanup(func() { storage.Forget(guarded) })
	return guarded
}

// simpleProtocol sets pgx's exec mode of a DSN (URL or keyword form) to the
// simple protocol.
func simpleProtocol(dsn string) string {
	mode := dbopen.ExecModeKey + "=simple_protocol"
	switch {
	case !strings.Contains(dsn, "://"):
		return dsn + " " + mode
	case strings.Contains(dsn, "?"):
		return dsn + "&" + mode
	}
	return dsn + "?" + mode
}

// sessionGuard fails the test on every statement that SessionState finds.
type sessionGuard struct{ t testing.TB }

func (g sessionGuard) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	if what := SessionState(e.Query); what != "" {
		g.t.Errorf("dbtest: %s is unsafe behind a transaction-mode pooler: %s", what, e.Query)
	}
	return ctx
}

func (sessionGuard) AfterQuery(context.Context, *bun.QueryEvent) {}

var (
	sessionCommand = regexp.MustCompile(`(?i)^\s*(SET|RESET|PREPARE|EXECUTE|DEALLOCATE|LISTEN|UNLISTEN|DISCARD|LOAD)\b(\s+\w+)?`)
	sessionCall    = regexp.MustCompile(`(?i)\b(pg_advisory_lock|pg_advisory_lock_shared|pg_try_advisory_lock|pg_try_advisory_lock_shared|pg_advisory_unlock\w*|set_config)\s*\(|\bTEMP(ORARY)?\s+TABLE\b|\bWITH\s+HOLD\b`)
)

// SessionState names what in query outlives its transaction on the server
// connection (a session SET, a prepared statement, LISTEN, a session
// advisory lock, a temporary table, a holdable cursor), which a
// transaction-mode pooler would leak to another client; "" when nothing
// does. SET LOCAL and SET TRANSACTION end with their transaction and pass.
func SessionState(query string) string {
	if m := sessionCommand.FindStringSubmatch(query); m != nil {
		next := strings.ToUpper(strings.TrimSpace(m[2]))
		if strings.EqualFold(m[1], "SET") && (next == "LOCAL" || next == "TRANSACTION") {
			return ""
		}
		return strings.ToUpper(m[1])
	}
	if m := sessionCall.FindString(query); m != "" {
		return strings.TrimRight(strings.TrimSpace(m), " (")
	}
	return ""
}
