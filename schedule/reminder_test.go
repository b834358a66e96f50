package schedule_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/mail/mailtest"
	"github.com/kirokuhq/kiroku/customer/notify"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/schedule"
)

// chat records what it is asked to deliver.
type chat struct {
	mu  sync.Mutex
	got []notify.Message
}

func (c *chat) Name() string { return "chat" }

func (c *chat) Deliver(_ context.Context, _ uuid.UUID, m notify.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, m)
	return nil
}

// process is what one server process runs: the reminder scan and the
// outbox dispatcher, on its own connection pool.
type process struct {
	sys  *schedule.System
	disp *outbox.Dispatcher
}

func newProcess(t *testing.T, f *fixture, db *bun.DB, cfg schedule.Config) process {
	t.Helper()
	sys, err := schedule.NewSystem(db, &cfg)
	require.NoError(t, err)
	disp, err := outbox.NewDispatcher(db, sys.Handlers(), &outbox.Config{Clock: f.clock.Now, Backoff: func(int) time.Duration { return 0 }})
	require.NoError(t, err)
	return process{sys: sys, disp: disp}
}

// drainAll runs the outbox dispatchers of procs at once until each finds
// nothing left to send.
func drainAll(t *testing.T, procs []process) {
	t.Helper()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Go(func() {
			for range 20 {
				n, err := p.disp.RunOnce(context.Background())
				require.NoError(t, err)
				if n == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestRemindersOncePerAssignee(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db) // now: 2026-12-05 10:00 JST
		srv := mailtest.Start(t, mailtest.Options{})
		m, err := mail.NewSMTP(&mail.SMTPConfig{Host: srv.Host, Port: srv.Port, TLS: mail.TLSNone, Timeout: 10 * time.Second, Clock: f.clock.Now})
		require.NoError(t, err)
		ch := &chat{}
		cfg := *f.cfg
		cfg.Mailer, cfg.Channels = m, []notify.Channel{ch}
		cfg.MailFrom = mail.Address{Name: "記録商事", Email: "noreply@kiroku.example"}
		cfg.AlertURL = func(_, cust uuid.UUID) string { return "https://crm.example.jp/customers/" + cust.String() + "/alerts" }

		// Due today at 9:00 JST for a and b; tomorrow's is not due yet.
		al, err := f.svc.CreateAlert(f.a, schedule.AlertInput{Customer: f.yamada.ID, Title: "ご機嫌伺い", Start: d("2026-12-05"), Count: 2, Every: 1, Unit: schedule.Days})
		require.NoError(t, err)
		// Due too, but done before the scan: nothing is sent to c.
		_, err = f.svc.CreateAlert(f.c, schedule.AlertInput{Customer: f.sato.ID, Title: "お礼状", Start: d("2026-12-05"), Count: 1, Every: 1, Unit: schedule.Days})
		require.NoError(t, err)
		o := customerOccurrences(t, f.c, f.svc, f.sato.ID)[0]
		_, err = f.svc.SetDone(f.c, o.ID, o.Version, true)
		require.NoError(t, err)

		procs := []process{newProcess(t, f, db, cfg), newProcess(t, f, dbtest.Reopen(t, db), cfg)}
		var wg sync.WaitGroup
		counts := make([]int, len(procs))
		for i, p := range procs {
			wg.Go(func() {
				n, err := p.sys.EnqueueDueReminders(context.Background(), f.clock.Now())
				require.NoError(t, err)
				counts[i] = n
			})
		}
		wg.Wait()
		require.Equal(t, 1, counts[0]+counts[1], "the occurrence is claimed once")
		drainAll(t, procs)

		msgs := srv.Messages()
		require.Len(t, msgs, 2)
		var to []string
		for _, msg := range msgs {
			c := msg.Parse(t)
			to = append(to, c.To[0].Address)
			require.Equal(t, "【アラート】ご機嫌伺い(1/2) 山田 太郎 様 (2026/12/05)", c.Subject)
			require.Contains(t, c.Text, "https://crm.example.jp/customers/"+f.yamada.ID.String()+"/alerts")
		}
		require.ElementsMatch(t, []string{"a@example.jp", "b@example.jp"}, to)
		require.Len(t, ch.got, 2)
		require.ElementsMatch(t, []uuid.UUID{f.aID, f.bID}, []uuid.UUID{ch.got[0].Recipient, ch.got[1].Recipient})

		page, err := f.svc.Occurrences(f.a, schedule.OccurrenceQuery{Status: schedule.StatusNotified})
		require.NoError(t, err)
		require.Equal(t, []string{"2026-12-05 ご機嫌伺い(1/2)"}, labels(page.Occurrences))
		page, err = f.svc.Occurrences(f.a, schedule.OccurrenceQuery{Status: schedule.StatusPending})
		require.NoError(t, err)
		require.Equal(t, []string{"2026-12-06 ご機嫌伺い(2/2)"}, labels(page.Occurrences))

		// Scanning again sends nothing more, even after an edit (today's
		// reminded occurrence is kept); the next day's is due at 9:00.
		in := al.AlertInput
		in.Title = "ご挨拶"
		_, err = f.svc.UpdateAlert(f.a, al.ID, al.Version, in)
		require.NoError(t, err)
		n, err := procs[1].sys.EnqueueDueReminders(context.Background(), f.clock.Now())
		require.NoError(t, err)
		require.Zero(t, n)
		n, err = procs[0].sys.EnqueueDueReminders(context.Background(), time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC))
		require.NoError(t, err)
		require.Equal(t, 1, n)
	})
}

func TestRunRemindersStopsWithContext(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		var logs bytes.Buffer
		cfg := *f.cfg
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		sys, err := schedule.NewSystem(db, &cfg)
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		require.ErrorIs(t, sys.RunReminders(ctx, time.Hour), context.Canceled)
		require.Contains(t, logs.String(), "reminder scan failed", "the failed scan is logged")
	})
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	for _, cfg := range []*schedule.Config{
		nil,
		{Authorizer: nil, MaxPageSize: 10},
	} {
		_, err := schedule.NewService(db, cfg)
		require.ErrorIs(t, err, schedule.ErrInvalid)
	}
	dir, err := permission.NewDirectory(db, nil)
	require.NoError(t, err)
	_, err = schedule.NewSystem(db, &schedule.Config{})
	require.ErrorIs(t, err, schedule.ErrInvalid)
	require.ErrorContains(t, err, "Directory is required")
	_, err = schedule.NewService(db, &schedule.Config{Authorizer: permission.Unrestricted()})
	require.ErrorContains(t, err, "Directory is required")
	for _, cfg := range []*schedule.Config{
		{ReminderHour: 24},
		{ReminderHour: -1},
		{MaxPageSize: -1},
		{Channels: []notify.Channel{&chat{}, &chat{}}},
	} {
		cfg.Directory = dir
		_, err := schedule.NewSystem(db, cfg)
		require.ErrorIs(t, err, schedule.ErrInvalid)
	}
}
