package plugins

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// recorded is a log handler that keeps the test plugin's lines (its
// stderr, logged by the host) that start with one of prefixes: "notified "
// or "called ".
type recorded struct {
	prefixes []string
	mu       sync.Mutex
	lines    []string
}

func (n *recorded) Enabled(context.Context, slog.Level) bool { return true }
func (n *recorded) WithAttrs([]slog.Attr) slog.Handler       { return n }
func (n *recorded) WithGroup(string) slog.Handler            { return n }

func (n *recorded) Handle(_ context.Context, r slog.Record) error {
	if slices.ContainsFunc(n.prefixes, func(p string) bool { return strings.HasPrefix(r.Message, p) }) {
		n.mu.Lock()
		n.lines = append(n.lines, r.Message)
		n.mu.Unlock()
	}
	return nil
}

func (n *recorded) get() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.lines...)
}

func TestPluginChannel(t *testing.T) {
	t.Parallel()
	bin, err := testBin()
	require.NoError(t, err)
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		log := &recorded{prefixes: []string{"notified "}}
		w := newEventWorldLog(t, db, bin, slog.New(log))
		channels := w.h.Channels()
		require.Len(t, channels, 1)
		require.Equal(t, "test", channels[0].Name())

		// A third carer, so that the author's record reports to two.
		pr, _ := permission.FromContext(w.staff)
		dir, err := permission.NewDirectory(db, nil)
		require.NoError(t, err)
		third, err := dir.SaveUser(context.Background(), permission.User{
			Tenant: pr.Tenant, Name: "介護 三郎", Email: "saburo@example.jp", Roles: []permission.Role{permission.RoleStaff}, Active: true,
		})
		require.NoError(t, err)
		// The author is the customer's assignee: the plugin's events
		// notify them.
		c, err := w.customers.Create(w.staff, customer.Profile{FamilyName: "佐藤", GivenName: "トメ", FamilyKana: "サトウ", GivenKana: "トメ"})
		require.NoError(t, err)
		order := contactlog.Entry{
			Template: "test:order", Customer: c.ID, Values: map[string]any{"qty": 1},
			ReportTo: []uuid.UUID{w.users[0], w.users[1], third.ID},
		}
		r, err := w.svc.Create(w.staff, order)
		require.NoError(t, err)
		w.deliver(t)

		// Each report-to recipient, and the assignee of the plugin's
		// notifications (customer and record created), hears through the
		// plugin once per mail.
		mails := w.mails(t)
		require.Len(t, mails["hanako@example.jp"], 2)
		require.Len(t, mails["jiro@example.jp"], 1)
		require.Len(t, mails["saburo@example.jp"], 1)
		ids := map[string]uuid.UUID{"hanako@example.jp": w.users[0], "jiro@example.jp": w.users[1], "saburo@example.jp": third.ID}
		var want []string
		for email, subjects := range mails {
			for _, s := range subjects {
				want = append(want, "notified "+pr.Tenant.String()+" "+ids[email].String()+" "+email+" "+s)
			}
		}
		require.Eventually(t, func() bool { return len(log.get()) == 4 }, 10*time.Second, 10*time.Millisecond)
		require.ElementsMatch(t, want, log.get())
		require.Equal(t, map[string]int{"delivered": 4}, w.statuses(t, contactlog.TopicChannel))

		// Edits and the record's event delivered again tell nobody again.
		e := r.Entry
		e.Values["qty"] = 2
		_, err = w.svc.Update(w.staff, r.ID, r.Version, e)
		require.NoError(t, err)
		_, err = db.NewUpdate().TableExpr("outbox_messages").Set("status = 'pending'").Set("next_attempt_at = NULL").
			Where("topic = ?", contactlog.TopicRecordEvent).Exec(context.Background())
		require.NoError(t, err)
		w.deliver(t)
		require.Equal(t, map[string]int{"delivered": 4}, w.statuses(t, contactlog.TopicChannel))
		require.Equal(t, mails, w.mails(t))

		// With the plugin gone, the mail goes and the channel's message
		// waits, naming the plugin.
		order.ReportTo = []uuid.UUID{w.users[1]}
		_, err = w.svc.Create(w.staff, order)
		require.NoError(t, err)
		require.NoError(t, w.h.Close())
		n, err := w.disp.RunOnce(context.Background())
		require.NoError(t, err)
		require.Equal(t, 3, n) // the event, the mail, the channel's message
		require.Equal(t, map[string]int{"delivered": 4, "pending": 1}, w.statuses(t, contactlog.TopicChannel))
		require.Len(t, w.mails(t)["jiro@example.jp"], 2)
		var lastErr string
		require.NoError(t, db.NewSelect().TableExpr("outbox_messages").Column("last_error").
			Where("topic = ?", contactlog.TopicChannel).Where("status = 'pending'").Scan(context.Background(), &lastErr))
		require.Contains(t, lastErr, "plugin test is stopped")
		require.Len(t, log.get(), 4)
	})
}
