package permission_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// TestReachRows: ReachRows counts the company-scope drafts a staff member
// in the "assigned" mode reaches, where the planner, multiplying the share
// of the rows without a customer by that of the company scope, expects
// hundreds of them.
func TestReachRows(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setupActions(t, db)
		f.setVisibility(t, permission.VisibilityAssigned)
		table := &permission.RecordTable{
			Table: "reach_records", Alias: "r", ID: "id", Tenant: "tenant_id", Author: "author_id", Customer: "customer_id",
			ScopeKind: "scope_kind", Confidential: "confidential", Shared: "shared", Deleted: "deleted_at",
			PeopleTable: "reach_people", ScopeTable: "reach_scope",
		}
		staff := f.principal(t, "y", uuid.Nil)
		d, err := storage.Of(db)
		require.NoError(t, err)
		if d != storage.Postgres {
			_, err := f.engine.ReachRows(f.ctx, staff, table)
			require.ErrorContains(t, err, "needs PostgreSQL")
			return
		}
		for _, stmt := range []string{
			`CREATE TABLE reach_records (id uuid PRIMARY KEY, tenant_id uuid NOT NULL, author_id uuid NOT NULL, customer_id uuid,
				scope_kind text NOT NULL, confidential boolean NOT NULL DEFAULT false, shared boolean NOT NULL DEFAULT false, deleted_at timestamptz)`,
			`CREATE TABLE reach_people (tenant_id uuid NOT NULL, record_id uuid NOT NULL, user_id uuid NOT NULL)`,
			`CREATE TABLE reach_scope (tenant_id uuid NOT NULL, record_id uuid NOT NULL, target_id uuid NOT NULL)`,
			// 4 000 records of others: two in five without a customer,
			// scoped to their authors; the rest of the company scope.
			`INSERT INTO reach_records (id, tenant_id, author_id, customer_id, scope_kind)
				SELECT gen_random_uuid(), ?, gen_random_uuid(), CASE WHEN i % 5 < 2 THEN NULL ELSE gen_random_uuid() END,
					CASE WHEN i % 5 < 2 THEN 'users' ELSE 'company' END
				FROM generate_series(1, 4000) AS i`,
			// Three company-scope drafts, and one in the trash.
			`INSERT INTO reach_records (id, tenant_id, author_id, scope_kind, deleted_at)
				SELECT gen_random_uuid(), ?, gen_random_uuid(), 'company', CASE WHEN i = 4 THEN now() END FROM generate_series(1, 4) AS i`,
			`ANALYZE reach_records`,
		} {
			_, err := db.ExecContext(f.ctx, stmt, f.tenant.ID)
			require.NoError(t, err, stmt)
		}
		reach, ok, err := f.engine.Reach(f.ctx, staff, table)
		require.NoError(t, err)
		require.True(t, ok)
		reached := db.NewSelect().TableExpr("("+reach.SQL+") AS x", reach.Args...)
		n, err := reached.Count(f.ctx)
		require.NoError(t, err)
		require.EqualValues(t, 3, n, "y reaches the company-scope drafts alone")
		planned, err := storage.PlanRows(f.ctx, db, reached)
		require.NoError(t, err)
		require.Greater(t, planned, 500.0, "the planner's estimate of the union (the case ReachRows exists for)")
		rows, err := f.engine.ReachRows(f.ctx, staff, table)
		require.NoError(t, err)
		// The drafts counted (3), the relations' lookups estimated (a row
		// or so each, none matching).
		require.GreaterOrEqual(t, rows, 3.0)
		require.Less(t, rows, 20.0)

		// A partner reaches no drafts: the estimate is the relations'.
		rows, err = f.engine.ReachRows(f.ctx, f.principal(t, "partner", uuid.Nil), table)
		require.NoError(t, err)
		require.Less(t, rows, 20.0)

		// Where Reach declines, so does ReachRows.
		_, err = f.engine.ReachRows(f.ctx, f.principal(t, "admin", uuid.Nil), table)
		require.ErrorContains(t, err, "Reach does not answer")
	})
}
