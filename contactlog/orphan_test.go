package contactlog_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/clocktest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// Two processes schedule the daily collection for both tenants, twice
// each, and run their dispatchers at once: each tenant's collection runs
// once a day, as the system, and removes the orphans.
func TestScheduledOrphanCollection(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f, store, svc, rec := setupAttachments(t, db)
		_, err := svc.Attachments().Add(f.staff, rec.ID, upload("kept.jpg", phoneJPEG(t)))
		require.NoError(t, err)
		keptKeys := storedKeys(t, store)
		boom := errors.New("boom")
		err = storage.InTx(f.staff, db, func(ctx context.Context, tx bun.IDB) error {
			_, err := svc.WithDB(tx).Attachments().Add(ctx, rec.ID, upload("b.pdf", pdfFile))
			require.NoError(t, err)
			return boom
		})
		require.ErrorIs(t, err, boom)
		require.Len(t, storedKeys(t, store), len(keptKeys)+1, "the rolled-back upload's file stays behind")

		ctx := context.Background()
		later := clocktest.New(f.clock.Now().Add(25*time.Hour), time.Millisecond)
		engine, err := permission.NewEngine(db)
		require.NoError(t, err)
		cfg := withDeps(t, db, contactlog.Config{Blobs: store, Clock: later.Now, Authorizer: engine})
		otherAdmin, ok := permission.FromContext(f.other)
		require.True(t, ok)
		other := otherAdmin.Tenant
		var dispatchers []*outbox.Dispatcher
		for _, name := range []string{"one", "two"} {
			sys, err := contactlog.NewSystem(db, cfg)
			require.NoError(t, err)
			err = sys.ScheduleOrphanCollection(ctx, later.Now(), time.Minute, f.tenant)
			requireField(t, err, "older_than", validation.CodeOutOfRange)
			for range 2 {
				require.NoError(t, sys.ScheduleOrphanCollection(ctx, later.Now(), 24*time.Hour, f.tenant, other))
			}
			d, err := outbox.NewDispatcher(db, sys.Handlers(), &outbox.Config{Clock: later.Now, InstanceID: name})
			require.NoError(t, err)
			dispatchers = append(dispatchers, d)
		}
		run := func() int {
			var wg sync.WaitGroup
			var mu sync.Mutex
			total := 0
			for _, d := range dispatchers {
				wg.Go(func() {
					n, err := d.RunOnce(ctx)
					require.NoError(t, err)
					mu.Lock()
					total += n
					mu.Unlock()
				})
			}
			wg.Wait()
			return total
		}
		require.Equal(t, 2, run(), "one collection per tenant")
		require.Equal(t, keptKeys, storedKeys(t, store))
		require.Zero(t, run(), "nothing more today")

		collections := func(admin context.Context) []permission.AuditEntry {
			log, err := permission.AuditLog(admin, db, permission.AuditQuery{ObjectType: "attachment"})
			require.NoError(t, err)
			var out []permission.AuditEntry
			for _, e := range log {
				if e.Action == "collect_orphans" {
					out = append(out, e)
				}
			}
			return out
		}
		runs := collections(f.admin)
		require.Len(t, runs, 1)
		require.Equal(t, "deleted 1", runs[0].Detail)
		require.Zero(t, runs[0].Actor, "the system, not a user")
		require.Len(t, collections(f.other), 1)

		// The next day's collection is a new one.
		later.Advance(24 * time.Hour)
		sys, err := contactlog.NewSystem(db, cfg)
		require.NoError(t, err)
		require.NoError(t, sys.ScheduleOrphanCollection(ctx, later.Now(), 24*time.Hour, f.tenant))
		require.Equal(t, 1, run())
		require.Len(t, collections(f.admin), 2)
	})
}
