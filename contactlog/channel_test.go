package contactlog_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/mail/mailtest"
	"github.com/kirokuhq/kiroku/customer/notify"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// chatChannel is a notification channel that keeps what it is given and
// fails while fail is set.
type chatChannel struct {
	name string
	mu   sync.Mutex
	got  []notify.Message
	fail error
}

func (c *chatChannel) Name() string { return c.name }

func (c *chatChannel) Deliver(_ context.Context, _ uuid.UUID, m notify.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return c.fail
	}
	c.got = append(c.got, m)
	return nil
}

// by returns the messages delivered, by recipient's e-mail address.
func (c *chatChannel) by() map[string][]notify.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]notify.Message{}
	for _, m := range c.got {
		out[m.Email] = append(out[m.Email], m)
	}
	return out
}

// channelMailer is a mailer whose service writes too and has channels.
func channelMailer(t *testing.T, f *fixture, channels ...notify.Channel) *mailer {
	t.Helper()
	srv := mailtest.Start(t, mailtest.Options{})
	m, err := mail.NewSMTP(&mail.SMTPConfig{
		Host: srv.Host, Port: srv.Port, TLS: mail.TLSNone, Timeout: 10 * time.Second, Clock: f.clock.Now,
	})
	require.NoError(t, err)
	engine, err := permission.NewEngine(f.db)
	require.NoError(t, err)
	return mailerOf(t, f, srv, &contactlog.Config{
		Authorizer: engine, Clock: f.clock.Now, Mailer: m, MailFrom: noreply, Channels: channels,
	})
}

func TestReportToThroughChannels(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		chat, sms := &chatChannel{name: "chat"}, &chatChannel{name: "sms", fail: errors.New("SMS gateway down")}
		m := channelMailer(t, f, chat, sms)
		e := entry(f.yamada.ID)
		e.ReportTo = []uuid.UUID{f.managerID, f.aID}
		r, err := m.svc.Create(f.staff, e)
		require.NoError(t, err)
		n, err := m.disp.RunOnce(context.Background())
		require.NoError(t, err)
		require.Equal(t, 6, n) // two mails, two messages per channel

		// The mails are as without channels; each channel gets the same
		// subject and text, without the mail's footer.
		require.Equal(t, 2, m.count())
		mail := m.to(t, "hanako@example.jp")[0]
		got := chat.by()
		require.Len(t, got, 2)
		msg := got["hanako@example.jp"][0]
		require.Equal(t, notify.Message{
			Recipient: f.managerID, Name: "課長 花子", Email: "hanako@example.jp",
			Subject: mail.Subject, Body: msg.Body, Key: r.ID.String(),
		}, msg)
		require.Contains(t, msg.Body, "課長 花子 様\n")
		require.Contains(t, mail.Text, msg.Body)
		require.NotContains(t, msg.Body, "自動送信")
		require.Contains(t, mail.Text, "自動送信")

		// The failing channel's messages wait and are retried; the others
		// are done.
		states := outboxStates(t, db, contactlog.TopicChannel)
		require.Len(t, states, 4)
		for _, u := range []uuid.UUID{f.managerID, f.aID} {
			require.Equal(t, "delivered", states["chat:"+u.String()].Status)
			st := states["sms:"+u.String()]
			require.Equal(t, "pending", st.Status)
			require.Contains(t, st.LastError, "SMS gateway down")
		}
		sms.mu.Lock()
		sms.fail = nil
		sms.mu.Unlock()

		// Edits and an added recipient: each recipient hears once per
		// channel.
		e = r.Entry
		e.ReportTo = append(e.ReportTo, f.bID)
		_, err = m.svc.Update(f.staff, r.ID, r.Version, e)
		require.NoError(t, err)
		deliverAll(t, m.disp)
		for _, ch := range []*chatChannel{chat, sms} {
			got := ch.by()
			require.Len(t, got, 3, ch.name)
			for email, ms := range got {
				require.Len(t, ms, 1, email)
			}
		}
		require.Equal(t, 3, m.count())
	})
}

func TestNotificationThroughChannels(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		chat, sms := &chatChannel{name: "chat"}, &chatChannel{name: "sms"}
		m := channelMailer(t, f, chat, sms)
		ctx := context.Background()
		n := contactlog.Notification{Recipients: []uuid.UUID{f.staffID, f.aID}, Subject: "至急", Body: "確認してください。", Key: "k1"}
		for range 2 {
			require.NoError(t, m.sys.EnqueueNotifications(ctx, f.tenant, "careservice", []contactlog.Notification{n}))
			deliverAll(t, m.disp)
		}
		require.Equal(t, 2, m.count())
		require.Equal(t, []notify.Message{{
			Recipient: f.aID, Name: "営業 A", Email: "a@example.jp", Subject: "至急", Body: "確認してください。\n", Key: "careservice:k1",
		}}, chat.by()["a@example.jp"])
		require.Len(t, chat.by(), 2)

		// A service without the sms channel fails its messages for good.
		n.Key = "k2"
		require.NoError(t, m.sys.EnqueueNotifications(ctx, f.tenant, "careservice", []contactlog.Notification{n}))
		chatOnly := channelMailer(t, f, chat)
		deliverAll(t, chatOnly.disp)
		// Both messages of each channel recipient (k1 and k2) are in the
		// table: count the rows, not the recipients.
		dead := 0
		for _, st := range outboxRows(t, db, contactlog.TopicChannel) {
			if st.Status == "dead" {
				dead++
				require.Contains(t, st.LastError, `channel "sms" is not configured`)
			}
		}
		require.Equal(t, 2, dead)
		require.Len(t, sms.by(), 2)
		require.Len(t, chat.by()["a@example.jp"], 2)

		for _, chs := range [][]notify.Channel{{chat, chat}, {&chatChannel{name: "a:b"}}, {&chatChannel{}}} {
			_, err := contactlog.NewService(db, withDeps(t, db, contactlog.Config{Authorizer: permission.Unrestricted(), Channels: chs}))
			require.ErrorIs(t, err, contactlog.ErrInvalid)
		}
	})
}
