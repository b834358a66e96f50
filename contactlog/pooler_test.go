package contactlog_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// Every call but Migrate works behind a transaction-mode pooler: through
// the simple protocol, and without a statement that leaves session state
// (dbtest.Pooler fails the test on one). The outbox's claim is among them.
func TestBehindTransactionPooler(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db) // Migrate needs the session connection
		pooled := dbtest.Pooler(t, db)
		sent := dbtest.Record(pooled)
		engine, err := permission.NewEngine(pooled)
		require.NoError(t, err)
		svc, err := contactlog.NewService(pooled, withDeps(t, pooled, contactlog.Config{Clock: f.clock.Now, Authorizer: engine, ReadDB: pooled}))
		require.NoError(t, err)

		r, err := svc.Create(f.staff, entry(f.yamada.ID))
		require.NoError(t, err)
		r, err = svc.Update(f.staff, r.ID, r.Version, entry(f.yamada.ID))
		require.NoError(t, err)
		_, err = svc.Update(f.staff, r.ID, r.Version-1, entry(f.yamada.ID))
		require.ErrorIs(t, err, contactlog.ErrConflict)
		c, err := svc.Comments().Add(f.manager, r.ID, "次回は決裁者同席で。")
		require.NoError(t, err)
		_, err = svc.Comments().Edit(f.manager, c.ID, c.Version, "次回は決裁者同席でお願いします。")
		require.NoError(t, err)
		require.NoError(t, svc.MailRecord(f.staff, r.ID, []uuid.UUID{f.aID}, "ご確認ください。"))
		page, err := svc.Search(f.staff, contactlog.Query{Text: "新商品", WithDetails: true, WithTotal: true})
		require.NoError(t, err)
		require.Equal(t, 1, page.Total)
		tl, err := svc.Timeline(f.staff, contactlog.TimelineQuery{Customer: f.yamada.ID})
		require.NoError(t, err)
		require.Len(t, tl.Records, 1)
		require.NoError(t, svc.Delete(f.staff, r.ID, r.Version))
		require.NoError(t, svc.Restore(f.staff, r.ID, r.Version+1))

		var delivered atomic.Int32
		d, err := outbox.NewDispatcher(pooled, map[string]outbox.Handler{
			contactlog.TopicMailRecord: outbox.HandlerFunc(func(context.Context, outbox.Message) error {
				delivered.Add(1)
				return nil
			}),
		}, &outbox.Config{Clock: f.clock.Now})
		require.NoError(t, err)
		n, err := d.RunOnce(context.Background())
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.EqualValues(t, 1, delivered.Load())

		require.NotEmpty(t, sent.Take(), "the calls went through the pooled handle")
	})
}
