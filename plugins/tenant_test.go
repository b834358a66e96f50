package plugins

import (
	"context"
	"log/slog"
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

// addTenant adds a tenant with two active staff users to w's database and
// returns the first's principal as a context and the second's ID.
func (w *eventWorld) addTenant(t *testing.T, name, email string) (context.Context, uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	dir, err := permission.NewDirectory(w.db, nil)
	require.NoError(t, err)
	tenant, err := dir.CreateTenant(ctx, permission.Tenant{Name: name})
	require.NoError(t, err)
	u, err := dir.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: name, Email: email, Roles: []permission.Role{permission.RoleStaff}, Active: true})
	require.NoError(t, err)
	colleague, err := dir.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: name + "2", Email: "2" + email, Roles: []permission.Role{permission.RoleStaff}, Active: true})
	require.NoError(t, err)
	p, err := dir.Principal(ctx, tenant.ID, u.ID)
	require.NoError(t, err)
	return permission.WithPrincipal(ctx, p), colleague.ID
}

// TestPluginSeesOnlyInstallingTenants runs the recording test plugin
// (every call it receives is a "called …" or "notified …" line naming the
// tenant) for tenant A, which installed it, and tenant B, which did not:
// nothing of B reaches it, and after A uninstalls nothing of A either.
func TestPluginSeesOnlyInstallingTenants(t *testing.T) {
	t.Parallel()
	bin, err := testBin()
	require.NoError(t, err)
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		calls := &recorded{prefixes: []string{"called ", "notified "}}
		w := newEventWorldLog(t, db, bin, slog.New(calls))
		a := w.staff
		b, colleague := w.addTenant(t, "ラーメン太郎", "taro@example.jp")
		ta, tb := tenantOf(a), tenantOf(b)
		installedA, err := w.h.Installed(a)
		require.NoError(t, err)
		require.Equal(t, []string{"test"}, installedA)
		installedB, err := w.h.Installed(b)
		require.NoError(t, err)
		require.Empty(t, installedB)
		require.Empty(t, w.h.Subscribers(tb, customer.EventCustomerCreated))
		order := func(c uuid.UUID) contactlog.Entry {
			return contactlog.Entry{Template: "test:order", Customer: c, Values: map[string]any{"qty": 2}}
		}
		notAllowed := func(t *testing.T, err error) {
			t.Helper()
			var ve *contactlog.ValidationError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, []contactlog.FieldError{{Field: "template", Code: "not_allowed", Param: "test"}}, ve.Fields)
		}

		// Tenant B: its customer event is not enqueued, its record of the
		// plugin's template is refused, the channel message of its
		// report-to mail and a timer left in the outbox are dropped.
		pb, _ := permission.FromContext(b)
		cb, err := w.customers.Create(b, customer.Profile{FamilyName: "麺", FamilyKana: "メン", Assignees: []uuid.UUID{pb.User}})
		require.NoError(t, err)
		_, err = w.svc.Create(b, order(cb.ID))
		notAllowed(t, err)
		res, err := w.h.CheckRecords(context.Background(), "test", []contactlog.PluginRecord{{Tenant: tb, Template: "test:order"}})
		require.NoError(t, err)
		require.Equal(t, []contactlog.PluginResult{{Problems: []contactlog.FieldError{{Field: "template", Code: "not_allowed", Param: "test"}}}}, res, "refused without a call: nothing computed")
		_, err = w.svc.Create(b, contactlog.Entry{Template: "builtin:interview", Customer: cb.ID, ReportTo: []uuid.UUID{colleague}})
		require.NoError(t, err)
		require.NoError(t, w.sys.EnqueueTimers(context.Background(), tb, "test", []contactlog.Timer{{Key: "k", At: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC), Customer: cb.ID}}))
		w.deliver(t)
		require.Len(t, w.mails(t)["2taro@example.jp"], 1, "the mail goes")
		require.Equal(t, map[string]int{"delivered": 1}, w.statuses(t, contactlog.TopicChannel))
		require.Equal(t, map[string]int{"delivered": 1}, w.statuses(t, contactlog.TopicTimer))

		// Tenant A: its customer event, its record's validation,
		// computation and event, and the plugin's notification through
		// the plugin's channel reach the plugin.
		ca, err := w.customers.Create(a, customer.Profile{FamilyName: "佐藤", FamilyKana: "サトウ", Assignees: w.users[:1]})
		require.NoError(t, err)
		_, err = w.svc.Create(a, order(ca.ID))
		require.NoError(t, err)
		w.deliver(t)
		want := []string{"called validate " + ta.String(), "called compute " + ta.String(),
			"called event customer.created " + ta.String(), "called event record.created " + ta.String()}
		require.Eventually(t, func() bool { return len(calls.get()) >= len(want)+2 }, 10*time.Second, 10*time.Millisecond)
		for _, line := range calls.get() {
			require.NotContains(t, line, tb.String())
			require.Contains(t, line, ta.String())
		}
		require.Subset(t, calls.get(), want)

		// A uninstalls: an event enqueued before is dropped, later writes
		// enqueue nothing, and records of the template are refused.
		adminA := permission.WithPrincipal(context.Background(), permission.Principal{Tenant: ta, User: uuid.New(), Roles: []permission.Role{permission.RoleAdmin}})
		seen := len(calls.get())
		_, err = w.customers.Create(a, customer.Profile{FamilyName: "鈴木", FamilyKana: "スズキ", Assignees: w.users[:1]})
		require.NoError(t, err)
		require.NoError(t, w.h.Uninstall(adminA, w.svc, "test"))
		require.Empty(t, w.h.Subscribers(ta, customer.EventCustomerCreated))
		_, err = w.svc.Create(a, order(ca.ID))
		notAllowed(t, err)
		w.deliver(t)

		// Installed again, A's next customer (the author is its assignee)
		// is the next thing the plugin hears of.
		installIn(t, db, ta, "test")
		_, err = w.customers.Create(a, customer.Profile{FamilyName: "田中", FamilyKana: "タナカ"})
		require.NoError(t, err)
		w.deliver(t)
		require.Eventually(t, func() bool { return len(calls.get()) >= seen+2 }, 10*time.Second, 10*time.Millisecond)
		require.Equal(t, []string{
			"called event customer.created " + ta.String(),
			"notified " + ta.String() + " " + w.users[0].String() + " hanako@example.jp 田中様が登録されました",
		}, calls.get()[seen:])
	})
}
