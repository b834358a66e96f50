package web_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/mail/mailtest"
	"github.com/kirokuhq/kiroku/examples/server/internal/app"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestRecordMailThroughSMTP sends 「メール送信」 of the record page through
// a real SMTP conversation with an in-process server, which receives the
// message for the chosen colleagues only, with the note and the record.
func TestRecordMailThroughSMTP(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		srv := mailtest.Start(t, mailtest.Options{User: "kiroku", Password: "smtp-secret"})
		smtpMailer, err := mail.NewSMTP(&mail.SMTPConfig{Host: srv.Host, Port: srv.Port, TLS: mail.TLSNone,
			Username: "kiroku", Password: "smtp-secret", Timeout: 10 * time.Second})
		require.NoError(t, err)
		e := servertest.New(t, db, func(c *app.Config, o *app.Options) {
			o.Mailer = smtpMailer
			c.MailFrom = "noreply@kiroku.example"
		})
		staff := e.User(t, "記録 担当", "キロク タントウ", "staff@example.jp")
		peer := e.User(t, "担当 二郎", "タントウ ジロウ", "peer@example.jp")
		third := e.User(t, "同僚 三郎", "ドウリョウ サブロウ", "third@example.jp")
		ctx := e.Ctx(t, staff)
		cu, err := e.App.Customers.Create(ctx, customer.Profile{FamilyName: "石井", FamilyKana: "イシイ",
			Assignees: []uuid.UUID{staff, peer}})
		require.NoError(t, err)
		rec, err := e.App.Records.Create(ctx, contactlog.Entry{Template: template.KeyInterview, Customer: cu.ID,
			ActualAt: time.Now().Add(-time.Hour), PublicMemo: "新しい見積もりを説明した"})
		require.NoError(t, err)
		c := login(t, e, "staff@example.jp")

		res, _ := c.Post(t, "/records/"+rec.ID.String()+"/mail", url.Values{"to": {peer.String(), third.String()},
			"note": {"石井様の件、ご確認ください"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.Empty(t, srv.Messages(), "sent by the outbox, after the commit")
		_, err = e.App.RunOutbox(t.Context())
		require.NoError(t, err)

		msgs := srv.Messages()
		require.Len(t, msgs, 2, "one message per recipient")
		got := map[string]mailtest.Content{}
		for _, m := range msgs {
			require.Equal(t, "kiroku", m.User, "authenticated")
			require.Equal(t, "noreply@kiroku.example", m.From)
			require.Len(t, m.To, 1)
			got[m.To[0]] = m.Parse(t)
		}
		require.ElementsMatch(t, []string{"peer@example.jp", "third@example.jp"}, []string{msgs[0].To[0], msgs[1].To[0]})
		body := got["peer@example.jp"]
		require.Equal(t, "peer@example.jp", body.To[0].Address)
		require.Contains(t, body.Text, "石井様の件、ご確認ください", "the note")
		require.Contains(t, body.Text, "/records/"+rec.ID.String(), "a link to the record")
		require.NotContains(t, got, "staff@example.jp", "the sender is not a recipient")

		// Running the outbox again sends nothing twice.
		_, err = e.App.RunOutbox(t.Context())
		require.NoError(t, err)
		require.Len(t, srv.Messages(), 2)
	})
}
