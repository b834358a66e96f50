package customer_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestAssignmentLogMigration runs the migration that keys the assignment
// log by customer again over a logged history: the history reads the same
// after it, the log is one b-tree on SQLite (no index beside the WITHOUT
// ROWID key) and its key alone on PostgreSQL, and a customer's purge still
// takes its history with it.
func TestAssignmentLogMigration(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		p := taro()
		p.Assignees = []uuid.UUID{f.a}
		c, err := f.svc.Create(f.admin, p)
		require.NoError(t, err)
		require.NoError(t, f.svc.SetAssignees(f.manager, c.ID, []uuid.UUID{f.b}))
		require.NoError(t, f.svc.SetAssignees(f.manager, c.ID, []uuid.UUID{f.a, f.b}))
		before, err := f.svc.AssignmentHistory(f.staff, c.ID)
		require.NoError(t, err)
		require.Len(t, before, 3)

		dbtest.RunMigration(t, db, customer.Migrations, "20261209100003_assignment_log_key")

		after, err := f.svc.AssignmentHistory(f.staff, c.ID)
		require.NoError(t, err)
		require.Equal(t, before, after)
		var indexes []string
		if db.Dialect().Name() == dialect.PG {
			require.NoError(t, db.NewSelect().TableExpr("pg_indexes").Column("indexname").
				Where("schemaname = current_schema()").Where("tablename = 'customer_assignment_log'").Scan(ctx, &indexes))
			require.Equal(t, []string{"customer_assignment_log_pkey"}, indexes)
		} else {
			require.NoError(t, db.NewSelect().TableExpr("sqlite_schema").Column("name").
				Where("type = 'index'").Where("tbl_name = 'customer_assignment_log'").Scan(ctx, &indexes))
			require.Empty(t, indexes)
		}

		require.NoError(t, f.svc.Purge(f.admin, c.ID))
		n, err := db.NewSelect().TableExpr("customer_assignment_log").Where("customer_id = ?", c.ID).Count(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
	})
}
