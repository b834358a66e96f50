package contactlog_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

func TestTimerEvent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		at := func(d int, template string) *contactlog.Record {
			e := entry(f.yamada.ID)
			e.Template = template
			e.ActualAt = time.Date(2026, 11, d, 3, 0, 0, 0, time.UTC)
			r, err := f.svc.Create(f.staff, e)
			require.NoError(t, err)
			return r
		}
		first, second := at(1, "builtin:interview"), at(3, "builtin:sales")
		third := at(5, "builtin:interview")
		gone := at(6, "builtin:interview")
		require.NoError(t, f.svc.Delete(f.staff, gone.ID, gone.Version))

		// The latest records of the templates asked for, newest first, not
		// deleted, at most limit.
		d, err := f.sys.TimerEvent(ctx, f.tenant, f.yamada.ID, []string{"builtin:interview", "builtin:sales"}, 20)
		require.NoError(t, err)
		require.Equal(t, f.yamada.ID, d.Customer.ID)
		var ids []uuid.UUID
		for _, r := range d.RecentRecords {
			ids = append(ids, r.ID)
		}
		require.Equal(t, []uuid.UUID{third.ID, second.ID, first.ID}, ids)
		d, err = f.sys.TimerEvent(ctx, f.tenant, f.yamada.ID, []string{"builtin:interview", "builtin:sales"}, 2)
		require.NoError(t, err)
		require.Len(t, d.RecentRecords, 2)
		d, err = f.sys.TimerEvent(ctx, f.tenant, f.yamada.ID, []string{"builtin:interview"}, 20)
		require.NoError(t, err)
		require.Len(t, d.RecentRecords, 2)
		require.Equal(t, first.ID, d.RecentRecords[1].ID)
		d, err = f.sys.TimerEvent(ctx, f.tenant, f.yamada.ID, nil, 20)
		require.NoError(t, err)
		require.Empty(t, d.RecentRecords)

		// A purged customer, or another tenant's: not found.
		require.NoError(t, f.customer.Delete(f.admin, f.partnerCo.ID))
		require.NoError(t, f.customer.Purge(f.admin, f.partnerCo.ID))
		_, err = f.sys.TimerEvent(ctx, f.tenant, f.partnerCo.ID, []string{"builtin:interview"}, 20)
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		_, err = f.sys.TimerEvent(ctx, uuid.Must(uuid.NewV7()), f.yamada.ID, []string{"builtin:interview"}, 20)
		require.ErrorIs(t, err, contactlog.ErrNotFound)
	})
}

func TestEnqueueTimers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		due := time.Date(2026, 12, 22, 9, 0, 0, 0, time.UTC)
		ok := contactlog.Timer{Key: "absent:1", At: due, Customer: f.yamada.ID}
		for _, bad := range []contactlog.Timer{
			{At: due, Customer: f.yamada.ID},
			{Key: "k", At: due},
			{Key: strings.Repeat("k", 256), At: due, Customer: f.yamada.ID},
		} {
			err := f.sys.EnqueueTimers(ctx, f.tenant, "ramenshop", []contactlog.Timer{ok, bad})
			require.ErrorIs(t, err, contactlog.ErrInvalid)
		}
		count := func() int {
			n, err := db.NewSelect().TableExpr("outbox_messages").Where("topic = ?", contactlog.TopicTimer).Count(ctx)
			require.NoError(t, err)
			return int(n)
		}
		require.Zero(t, count())
		// A key is set once per subscriber and tenant.
		require.NoError(t, f.sys.EnqueueTimers(ctx, f.tenant, "ramenshop", []contactlog.Timer{ok}))
		require.NoError(t, f.sys.EnqueueTimers(ctx, f.tenant, "ramenshop", []contactlog.Timer{ok}))
		require.Equal(t, 1, count())
		require.NoError(t, f.sys.EnqueueTimers(ctx, f.tenant, "other", []contactlog.Timer{ok}))
		require.Equal(t, 2, count())
		var row struct {
			NextAttemptAt time.Time `bun:"next_attempt_at"`
			Recipient     string    `bun:"recipient"`
		}
		require.NoError(t, db.NewSelect().TableExpr("outbox_messages").Column("next_attempt_at", "recipient").
			Where("topic = ?", contactlog.TopicTimer).Where("recipient = ?", "ramenshop").Scan(ctx, &row))
		require.True(t, due.Equal(row.NextAttemptAt), row.NextAttemptAt)
	})
}
