package plugins

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kirokuhq/kiroku/customer/mail"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/mail/mailtest"
	"github.com/kirokuhq/kiroku/customer/notify"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/clocktest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/plugins/careservice"
)

// eventWorld is a record engine and a customer engine wired to a host of
// one plugin, with a real SMTP server, a dispatcher of the engine's and
// the host's handlers, and two active carers (users) of a tenant, the
// first of them acting (staff).
type eventWorld struct {
	h         *Host
	svc       *contactlog.Service
	sys       *contactlog.System
	customers *customer.Service
	disp      *outbox.Dispatcher
	srv       *mailtest.Server
	db        *bun.DB
	staff     context.Context
	users     []uuid.UUID
}

// careWorld is an eventWorld of the care-service plugin with a 要支援1
// customer in the charge of both carers.
type careWorld struct {
	*eventWorld
	cust uuid.UUID
}

func newEventWorld(t *testing.T, db *bun.DB, plugin string) *eventWorld {
	t.Helper()
	return newEventWorldLog(t, db, plugin, nil)
}

// newEventWorldLog is newEventWorld whose host logs to log, when set, and
// whose record engine then delivers through the host's channels too.
func newEventWorldLog(t *testing.T, db *bun.DB, plugin string, log *slog.Logger) *eventWorld {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, Migrate(ctx, db))
	st, err := template.NewStore(db, nil)
	require.NoError(t, err)
	reg := template.NewRegistry(st)
	h := newHost(t, Config{Templates: reg, DB: db, Plugins: []Spec{{Path: plugin}}, Logger: log})
	var channels []notify.Channel
	if log != nil {
		channels = h.Channels()
	}
	clock := clocktest.New(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), time.Millisecond)
	srv := mailtest.Start(t, mailtest.Options{})
	mailer, err := mail.NewSMTP(&mail.SMTPConfig{
		Host: srv.Host, Port: srv.Port, TLS: mail.TLSNone, Timeout: 10 * time.Second, Clock: clock.Now,
	})
	require.NoError(t, err)
	dir, err := permission.NewDirectory(db, clock.Now)
	require.NoError(t, err)
	customers, err := customer.NewSystem(db)
	require.NoError(t, err)
	cfg := &contactlog.Config{
		Authorizer: permission.Unrestricted(), Directory: dir, Templates: reg, Customers: customers, Plugins: h, Events: h, Clock: clock.Now,
		Mailer: mailer, MailFrom: mail.Address{Name: "ひまわり", Email: "noreply@himawari.example"}, Channels: channels,
	}
	svc, err := contactlog.NewService(db, cfg)
	require.NoError(t, err)
	sys, err := contactlog.NewSystem(db, cfg)
	require.NoError(t, err)
	handlers := sys.Handlers()
	maps.Copy(handlers, h.EventHandlers(sys))
	disp, err := outbox.NewDispatcher(db, handlers, &outbox.Config{
		Clock: clock.Now, Backoff: func(int) time.Duration { return 0 },
	})
	require.NoError(t, err)

	tenant, err := dir.CreateTenant(ctx, permission.Tenant{Name: "訪問介護ひまわり"})
	require.NoError(t, err)
	var users []uuid.UUID
	for _, u := range []permission.User{{Name: "介護 花子", Email: "hanako@example.jp"}, {Name: "介護 次郎", Email: "jiro@example.jp"}} {
		u.Tenant, u.Roles, u.Active = tenant.ID, []permission.Role{permission.RoleStaff}, true
		saved, err := dir.SaveUser(ctx, u)
		require.NoError(t, err)
		users = append(users, saved.ID)
	}
	p, err := dir.Principal(ctx, tenant.ID, users[0])
	require.NoError(t, err)
	installIn(t, db, tenant.ID, strings.TrimPrefix(filepath.Base(plugin), FilePrefix))
	csvc, err := customer.NewService(db, &customer.Config{Clock: clock.Now, Authorizer: permission.Unrestricted(), Events: h})
	require.NoError(t, err)
	return &eventWorld{h: h, svc: svc, sys: sys, customers: csvc, disp: disp, srv: srv, db: db, staff: permission.WithPrincipal(ctx, p), users: users}
}

func newCareWorld(t *testing.T, db *bun.DB) *careWorld {
	t.Helper()
	w := newEventWorld(t, db, careBin)
	c, err := w.customers.Create(w.staff, customer.Profile{FamilyName: "佐藤", GivenName: "トメ", FamilyKana: "サトウ", GivenKana: "トメ", Assignees: w.users})
	require.NoError(t, err)
	// The care level, as the plugin's customer field holds it.
	_, err = db.NewUpdate().TableExpr("customers").Set("custom_fields = ?", `{"careservice:care_level":"要支援1"}`).
		Where("id = ?", c.ID).Exec(context.Background())
	require.NoError(t, err)
	return &careWorld{eventWorld: w, cust: c.ID}
}

// visit records an hour of 身体介護 (570 units) on the given day of
// November 2026.
func (w *careWorld) visit(t *testing.T, day int) *contactlog.Record {
	t.Helper()
	start := time.Date(2026, 11, day, 10, 0, 0, 0, time.FixedZone("JST", 9*60*60))
	r, err := w.svc.Create(w.staff, contactlog.Entry{
		Template: careservice.TemplateVisit, Customer: w.cust, ActualAt: start,
		Values: map[string]any{
			"service_type": careservice.PhysicalCare,
			"start":        start.Format(time.RFC3339), "end": start.Add(time.Hour).Format(time.RFC3339),
		},
	})
	require.NoError(t, err)
	return r
}

// deliver runs the dispatcher until no message is due and returns how
// many it handled.
func (w *eventWorld) deliver(t *testing.T) int {
	t.Helper()
	total := 0
	for range 100 {
		n, err := w.disp.RunOnce(context.Background())
		require.NoError(t, err)
		if n == 0 {
			return total
		}
		total += n
	}
	t.Fatal("the outbox never ran dry")
	return 0
}

// mails returns the subjects of the mails accepted per envelope recipient.
func (w *eventWorld) mails(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, m := range w.srv.Messages() {
		c := m.Parse(t)
		for _, to := range m.To {
			out[to] = append(out[to], c.Subject)
		}
	}
	return out
}

// statuses counts the outbox messages of a topic by status.
func (w *eventWorld) statuses(t *testing.T, topic string) map[string]int {
	t.Helper()
	var rows []struct {
		Status string `bun:"status"`
	}
	require.NoError(t, w.db.NewSelect().TableExpr("outbox_messages").Column("status").Where("topic = ?", topic).
		Scan(context.Background(), &rows))
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status]++
	}
	return out
}

func TestCareLimitEventNotifiesOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		w := newCareWorld(t, db)
		require.Equal(t, []string{"careservice"}, w.h.Subscribers(tenantOf(w.staff), contactlog.EventRecordCreated))
		require.Empty(t, w.h.Subscribers(tenantOf(w.staff), contactlog.EventRecordDeleted))
		require.Empty(t, w.h.Subscribers(uuid.New(), contactlog.EventRecordCreated), "a tenant that did not install it")

		// 要支援1: 5,000 units a month; 90% is 4,500. Seven visits make
		// 3,990 units: events, but no notification.
		var last *contactlog.Record
		for day := 1; day <= 7; day++ {
			last = w.visit(t, day)
		}
		require.Equal(t, 7, w.deliver(t))
		require.Equal(t, map[string]int{"delivered": 7}, w.statuses(t, contactlog.TopicRecordEvent))
		require.Empty(t, w.mails(t))

		// Deleting is not an event the plugin wants: nothing is enqueued.
		require.NoError(t, w.svc.Delete(w.staff, last.ID, last.Version))
		require.Equal(t, 0, w.deliver(t))
		require.NoError(t, w.svc.Restore(w.staff, last.ID, last.Version+1))

		// The eighth visit makes 4,560 units: both carers hear of it, once.
		w.visit(t, 8)
		require.Equal(t, 4, w.deliver(t)) // the restore's and the visit's events, two mails
		subject := "【区分支給限度基準額 90%】佐藤 トメ様 2026年11月"
		want := map[string][]string{"hanako@example.jp": {subject}, "jiro@example.jp": {subject}}
		require.Equal(t, want, w.mails(t))
		var body string
		for _, m := range w.srv.Messages() {
			body = m.Parse(t).Text
		}
		require.Contains(t, body, "4,560単位")

		// The same event delivered again (at least once) and a later edit
		// still at 90% ask for the same notification: no second mail.
		_, err := w.db.NewUpdate().TableExpr("outbox_messages").Set("status = 'pending'").Set("next_attempt_at = NULL").
			Where("topic = ?", contactlog.TopicRecordEvent).Exec(context.Background())
		require.NoError(t, err)
		r, err := w.svc.Get(w.staff, last.ID)
		require.NoError(t, err)
		e := r.Entry
		e.Values["notes"] = "変わりなし"
		_, err = w.svc.Update(w.staff, r.ID, r.Version, e)
		require.NoError(t, err)
		require.Equal(t, 10, w.deliver(t))
		require.Equal(t, want, w.mails(t))
		require.Equal(t, map[string]int{"delivered": 2}, w.statuses(t, contactlog.TopicNotification))
	})
}

func TestEventWaitsForPlugin(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		w := newCareWorld(t, db)
		w.visit(t, 1)
		// The plugin is gone (closed): the delivery fails and is retried.
		require.NoError(t, w.h.Close())
		n, err := w.disp.RunOnce(context.Background())
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, map[string]int{"pending": 1}, w.statuses(t, contactlog.TopicRecordEvent))
		var lastErr string
		require.NoError(t, db.NewSelect().TableExpr("outbox_messages").Column("last_error").
			Where("topic = ?", contactlog.TopicRecordEvent).Scan(context.Background(), &lastErr))
		require.Contains(t, lastErr, fmt.Sprintf("plugin %s is", careservice.Name))
		require.True(t, slices.ContainsFunc(w.h.Status(), func(s Status) bool { return s.State == StateStopped }))
	})
}
