package plugins

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/catalog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/plugins/ramenshop"
)

// deliverAt runs a dispatcher whose clock says at until no message is due
// and returns how many it handled.
func (w *eventWorld) deliverAt(t *testing.T, at time.Time) int {
	t.Helper()
	handlers := w.sys.Handlers()
	maps.Copy(handlers, w.h.EventHandlers(w.sys))
	d, err := outbox.NewDispatcher(w.db, handlers, &outbox.Config{
		Clock: func() time.Time { return at }, Backoff: func(int) time.Duration { return 0 },
	})
	require.NoError(t, err)
	total := 0
	for range 100 {
		n, err := d.RunOnce(context.Background())
		require.NoError(t, err)
		if n == 0 {
			return total
		}
		total += n
	}
	t.Fatal("the outbox never ran dry")
	return 0
}

func TestRamenAbsenceTimer(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		w := newEventWorld(t, db, ramenBin)
		c, err := w.customers.Create(w.staff, customer.Profile{FamilyName: "山田", GivenName: "太郎", FamilyKana: "ヤマダ", GivenKana: "タロウ", Assignees: w.users})
		require.NoError(t, err)
		jst := time.FixedZone("JST", 9*60*60)
		day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 12, 0, 0, 0, jst) }
		// Orders name the tenant's catalog item, as the order form does.
		admin, _ := permission.FromContext(w.staff)
		admin.Roles = []permission.Role{permission.RoleAdmin}
		asAdmin := permission.WithPrincipal(w.staff, admin)
		cat, err := catalog.NewService(w.db, nil)
		require.NoError(t, err)
		ramen, err := cat.SaveCategory(asAdmin, catalog.Category{Name: "ラーメン", TaxRate: 10, UsesVariants: true})
		require.NoError(t, err)
		shoyu, err := cat.SaveItem(asAdmin, catalog.Item{Category: ramen.ID, Name: "醤油ラーメン", Variant: "普通", UnitPrice: 700})
		require.NoError(t, err)
		order := func(d int) {
			t.Helper()
			_, err := w.svc.Create(w.staff, contactlog.Entry{
				Template: ramenshop.TemplateOrder, Customer: c.ID, ActualAt: day(11, d),
				Values: map[string]any{"dining": ramenshop.EatIn, "lines": []any{
					map[string]any{"item": shoyu.ID.String(), "quantity": 1},
				}},
			})
			require.NoError(t, err)
		}
		// Three visits within 60 days make a regular; each order sets a
		// timer 30 days after its visit (Dec 1, 5 and 10), not yet due.
		for _, d := range []int{1, 5, 10} {
			order(d)
		}
		require.Equal(t, 3, w.deliver(t))
		require.Equal(t, map[string]int{"pending": 3}, w.statuses(t, contactlog.TopicTimer))

		// Dec 9: the first two are due, but the last visit (Nov 10) is
		// only 21 and 25 days before them: no notice.
		require.Equal(t, 2, w.deliverAt(t, day(12, 9)))
		require.Equal(t, map[string]int{"pending": 1, "delivered": 2}, w.statuses(t, contactlog.TopicTimer))
		require.Empty(t, w.mails(t))

		// A newer visit (Nov 20) before the Dec 10 timer: no notice then,
		// and a new timer for Dec 20.
		order(20)
		require.Equal(t, 1, w.deliverAt(t, day(12, 9)))
		require.Equal(t, 1, w.deliverAt(t, day(12, 15)))
		require.Empty(t, w.mails(t))
		require.Equal(t, map[string]int{"pending": 1, "delivered": 3}, w.statuses(t, contactlog.TopicTimer))

		// Dec 21: 30 days since the last visit; both assignees hear of it,
		// once, even when the timer is delivered again.
		require.Equal(t, 3, w.deliverAt(t, day(12, 21))) // the timer, two mails
		subject := "【常連客】山田 太郎様が30日以上ご来店されていません"
		want := map[string][]string{"hanako@example.jp": {subject}, "jiro@example.jp": {subject}}
		require.Equal(t, want, w.mails(t))
		_, err = w.db.NewUpdate().TableExpr("outbox_messages").Set("status = 'pending'").Set("next_attempt_at = NULL").
			Where("topic = ?", contactlog.TopicTimer).Exec(context.Background())
		require.NoError(t, err)
		require.Equal(t, 4, w.deliverAt(t, day(12, 21)))
		require.Equal(t, want, w.mails(t))
		require.Equal(t, map[string]int{"delivered": 2}, w.statuses(t, contactlog.TopicNotification))
	})
}
