package contactlog_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestRecordAssigneeRows follows the rows that put each live record under
// each assignee of its customer (contact_record_assignees, kept by
// triggers for the calendars) through every kind of write of records and
// of assignments, comparing them after each with the join they stand for.
func TestRecordAssigneeRows(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		// check compares the rows with the join, and counts them.
		check := func(step string, n int) {
			t.Helper()
			var got, want []string
			require.NoError(t, db.NewRaw("SELECT CAST(record_id AS TEXT) || ' ' || CAST(user_id AS TEXT) || ' ' || CAST(occurred_at AS TEXT)"+
				" FROM contact_record_assignees WHERE tenant_id = ? ORDER BY 1", f.tenant).Scan(ctx, &got), step)
			require.NoError(t, db.NewRaw("SELECT CAST(r.id AS TEXT) || ' ' || CAST(ca.user_id AS TEXT) || ' ' || CAST(r.occurred_at AS TEXT)"+
				" FROM contact_records r JOIN customer_assignees ca ON ca.tenant_id = r.tenant_id AND ca.customer_id = r.customer_id"+
				" WHERE r.tenant_id = ? AND r.deleted_at IS NULL ORDER BY 1", f.tenant).Scan(ctx, &want), step)
			require.Equal(t, want, got, step)
			require.Len(t, got, n, step)
		}
		at := time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)
		e1 := entry(f.yamada.ID)
		e1.ActualAt = at
		r1, err := f.svc.Create(f.staff, e1)
		require.NoError(t, err)
		e2 := entry(f.yamada.ID)
		e2.PlannedAt = at.AddDate(0, 0, 7)
		r2, err := f.svc.Create(f.staff, e2)
		require.NoError(t, err)
		r3, err := f.svc.Create(f.partner, partnerEntry(f.partnerCo.ID))
		require.NoError(t, err)
		draft := entry(uuid.Nil)
		_, err = f.svc.Create(f.staff, draft)
		require.NoError(t, err)
		check("created: r1 and r2 under staff, r3 under the partner, the draft under no one", 3)

		p := f.yamada.Profile
		p.Assignees = []uuid.UUID{f.staffID, f.aID}
		yamada, err := f.customer.Update(f.admin, f.yamada.ID, f.yamada.Version, p)
		require.NoError(t, err)
		check("yamada assigned to a too", 5)

		e1.ActualAt = at.Add(2 * time.Hour)
		r1, err = f.svc.Update(f.staff, r1.ID, r1.Version, e1)
		require.NoError(t, err)
		check("r1's time moved", 5)

		e2.Customer = f.partnerCo.ID
		_, err = f.svc.Update(f.admin, r2.ID, r2.Version, e2)
		require.NoError(t, err)
		check("r2 moved to the partner's customer", 4)

		require.NoError(t, f.svc.Delete(f.staff, r1.ID, r1.Version))
		check("r1 deleted", 2)
		require.NoError(t, f.svc.Restore(f.staff, r1.ID, r1.Version+1))
		check("r1 restored", 4)

		// The migration fills the rows of the records written before it.
		_, err = db.ExecContext(ctx, "DELETE FROM contact_record_assignees")
		require.NoError(t, err)
		dbtest.RunMigration(t, db, contactlog.Migrations, "20261214000001_record_assignees")
		check("the migration run again over the records", 4)

		changed, err := f.customer.Reassign(f.admin, f.staffID, f.bID)
		require.NoError(t, err)
		require.Equal(t, 1, changed)
		check("staff's customers reassigned to b", 4)

		require.NoError(t, f.svc.Purge(f.admin, r3.ID))
		check("r3 purged", 3)

		_, err = db.NewRaw("UPDATE customer_assignees SET user_id = ? WHERE tenant_id = ? AND customer_id = ? AND user_id = ?",
			f.managerID, f.tenant, yamada.ID, f.aID).Exec(ctx)
		require.NoError(t, err)
		check("an embedder's own update of an assignment", 3)

		p = yamada.Profile
		p.Assignees = nil
		got, err := f.customer.Get(f.admin, yamada.ID)
		require.NoError(t, err)
		_, err = f.customer.Update(f.admin, yamada.ID, got.Version, p)
		require.NoError(t, err)
		check("yamada's assignees removed", 1)

		require.NoError(t, f.customer.Purge(f.admin, f.partnerCo.ID))
		check("the partner's customer purged", 0)
		var left int
		require.NoError(t, db.NewRaw("SELECT count(*) FROM contact_record_assignees").Scan(ctx, &left))
		require.Zero(t, left)
	})
}
