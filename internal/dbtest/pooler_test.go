package dbtest

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
)

func TestSessionState(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ query, want string }{
		{"SELECT c.id FROM customers AS c WHERE c.tenant_id = '1'", ""},
		{"SET LOCAL statement_timeout = 1000", ""},
		{"set transaction isolation level serializable", ""},
		{"SELECT pg_advisory_xact_lock(1)", ""},
		{"SELECT * FROM outbox_messages FOR UPDATE SKIP LOCKED", ""},
		{"UPDATE settings SET value = 'x'", ""},
		{"SET search_path = other", "SET"},
		{"  set statement_timeout to 0", "SET"},
		{"RESET ALL", "RESET"},
		{"PREPARE q AS SELECT 1", "PREPARE"},
		{"LISTEN outbox", "LISTEN"},
		{"DISCARD ALL", "DISCARD"},
		{"SELECT pg_advisory_lock(7)", "pg_advisory_lock"},
		{"SELECT pg_try_advisory_lock(7)", "pg_try_advisory_lock"},
		{"SELECT set_config('app.tenant', 'x', false)", "set_config"},
		{"CREATE TEMP TABLE t (id int)", "TEMP TABLE"},
		{"CREATE TEMPORARY TABLE t (id int)", "TEMPORARY TABLE"},
		{"DECLARE c CURSOR WITH HOLD FOR SELECT 1", "WITH HOLD"},
	} {
		require.Equal(t, tt.want, SessionState(tt.query), tt.query)
	}
}

// catcher records what a test would have failed with.
type catcher struct {
	testing.TB
	errs []string
}

func (c *catcher) Errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

// A statement that leaves session state, sent through a Pooler handle,
// fails the test; an ordinary one does not.
func TestPoolerFailsOnSessionState(t *testing.T) {
	t.Parallel()
	Each(t, func(t *testing.T, db *bun.DB) {
		c := &catcher{TB: t}
		pooled := Pooler(c, db)
		ctx := context.Background()
		_, err := pooled.ExecContext(ctx, "SELECT 1")
		require.NoError(t, err)
		require.Empty(t, c.errs)
		_, _ = pooled.ExecContext(ctx, "SET statement_timeout = 0") // SQLite refuses it; the guard sees it first
		require.Len(t, c.errs, 1)
		require.Contains(t, c.errs[0], "SET is unsafe behind a transaction-mode pooler")
	})
}
