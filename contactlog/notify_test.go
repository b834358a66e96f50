package contactlog_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/mail/mailtest"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// mailer is a service that mails through the test server, and a dispatcher
// that runs its handlers.
type mailer struct {
	srv  *mailtest.Server
	svc  *contactlog.Service
	sys  *contactlog.System
	disp *outbox.Dispatcher
}

// to returns, decoded, the mails the test server accepted for an envelope
// recipient, in order. The engine's mails are UTF-8 plain text from one
// sender to one recipient.
func (m *mailer) to(t *testing.T, email string) []mailtest.Content {
	t.Helper()
	var out []mailtest.Content
	for _, msg := range m.srv.Messages() {
		if slices.Contains(msg.To, email) {
			c := msg.Parse(t)
			require.Equal(t, "text/plain", c.Type)
			require.Len(t, c.From, 1)
			require.Len(t, c.To, 1)
			out = append(out, c)
		}
	}
	return out
}

// count returns how many mails the test server accepted, a message counting
// once per envelope recipient.
func (m *mailer) count() int {
	n := 0
	for _, msg := range m.srv.Messages() {
		n += len(msg.To)
	}
	return n
}

var noreply = mail.Address{Name: "記録商事", Email: "noreply@kiroku.example"}

func newMailer(t *testing.T, f *fixture) *mailer {
	t.Helper()
	srv := mailtest.Start(t, mailtest.Options{})
	m, err := mail.NewSMTP(&mail.SMTPConfig{
		Host: srv.Host, Port: srv.Port, TLS: mail.TLSNone, Timeout: 10 * time.Second, Clock: f.clock.Now,
	})
	require.NoError(t, err)
	engine, err := permission.NewEngine(f.db)
	require.NoError(t, err)
	return mailerOf(t, f, srv, &contactlog.Config{
		Authorizer: engine, Clock: f.clock.Now, Mailer: m, MailFrom: noreply,
		RecordURL: func(_, id uuid.UUID) string { return "https://crm.example.jp/records/" + id.String() },
	})
}

// mailerOf builds the service and the system handle of cfg, with a
// dispatcher over the handle's handlers.
func mailerOf(t *testing.T, f *fixture, srv *mailtest.Server, cfg *contactlog.Config) *mailer {
	t.Helper()
	cfg = withDeps(t, f.db, *cfg)
	svc, err := contactlog.NewService(f.db, cfg)
	require.NoError(t, err)
	sys, err := contactlog.NewSystem(f.db, cfg)
	require.NoError(t, err)
	return &mailer{srv: srv, svc: svc, sys: sys, disp: newDispatcher(t, f, sys)}
}

func newDispatcher(t *testing.T, f *fixture, sys *contactlog.System) *outbox.Dispatcher {
	t.Helper()
	d, err := outbox.NewDispatcher(f.db, sys.Handlers(), &outbox.Config{
		Clock: f.clock.Now, Backoff: func(int) time.Duration { return 0 },
	})
	require.NoError(t, err)
	return d
}

// deliverAll runs d until no message is due.
func deliverAll(t *testing.T, d *outbox.Dispatcher) {
	t.Helper()
	for range 100 {
		n, err := d.RunOnce(context.Background())
		require.NoError(t, err)
		if n == 0 {
			return
		}
	}
	t.Fatal("the outbox never ran dry")
}

// outboxRows returns the state of every message of topic.
func outboxRows(t *testing.T, db bun.IDB, topic string) []outboxState {
	t.Helper()
	var rows []outboxState
	require.NoError(t, db.NewSelect().TableExpr("outbox_messages").Column("recipient", "status", "last_error", "attempts").
		Where("topic = ?", topic).Scan(context.Background(), &rows))
	return rows
}

// outboxState is a message's recipient, status and last error.
type outboxState struct {
	Recipient string `bun:"recipient"`
	Status    string `bun:"status"`
	LastError string `bun:"last_error"`
	Attempts  int    `bun:"attempts"`
}

// outboxStates returns the state of the messages of topic by recipient
// (one of them where a recipient has several).
func outboxStates(t *testing.T, db bun.IDB, topic string) map[string]outboxState {
	t.Helper()
	out := map[string]outboxState{}
	for _, r := range outboxRows(t, db, topic) {
		out[r.Recipient] = r
	}
	return out
}

func TestReportToMail(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		m := newMailer(t, f)
		e := entry(f.yamada.ID)
		e.Responders = []uuid.UUID{f.staffID, f.aID}
		e.ReportTo = []uuid.UUID{f.managerID, f.aID}
		e.SummaryText = "新商品の提案"
		r, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)
		// Edited again and again, and b added on the way: everyone still
		// hears of the record once.
		for i, memo := range []string{"見積をお送りしました。", "次回は来週火曜日。", "ご契約の見込みです。"} {
			e = r.Entry
			e.PublicMemo = memo
			if i == 1 {
				e.ReportTo = append(e.ReportTo, f.bID)
			}
			r, err = f.svc.Update(f.staff, r.ID, r.Version, e)
			require.NoError(t, err)
			deliverAll(t, m.disp)
		}
		require.Equal(t, 3, m.count())
		for _, email := range []string{"hanako@example.jp", "a@example.jp", "b@example.jp"} {
			require.Len(t, m.to(t, email), 1, email)
		}

		got := m.to(t, "hanako@example.jp")[0]
		require.Equal(t, "【報告】山田 太郎 様 面談記録 (2026/11/22)", got.Subject)
		require.Equal(t, "課長 花子", got.To[0].Name)
		require.Equal(t, noreply.Email, got.From[0].Address)
		require.Equal(t, noreply.Name, got.From[0].Name)
		require.Nil(t, got.ReplyTo)
		for _, want := range []string{
			"課長 花子 様\n",
			"担当 一郎 さんから接点記録の報告が届きました。",
			"顧客: 山田 太郎 様\n",
			"種類: 面談記録\n",
			"対応日時: 2026/11/22(日) 18:00\n", // 09:00 UTC in Tokyo
			"対応者: 担当 一郎、営業 A\n",
			"対応形態: 訪問\n",
			"進捗: 提案中\n",
			"内容概略(補足): 新商品の提案\n",
			"■ 公開メモ(お客様に公開)\n見積をお送りしました。\n", // as it was when the mail went out
			"■ 非公開メモ(社内のみ)\n決裁者は奥様。\n",
			"記録を開く: https://crm.example.jp/records/" + r.ID.String() + "\n",
		} {
			require.Contains(t, got.Text, want)
		}
		require.NotContains(t, got.Text, "予定日時", "no planned time, no line")
		require.NotContains(t, got.Text, "■ メッセージ")
		require.Contains(t, m.to(t, "b@example.jp")[0].Text, "次回は来週火曜日。", "b was told after the edit that added them")

		for _, st := range outboxStates(t, db, contactlog.TopicReportTo) {
			require.Equal(t, "delivered", st.Status)
			require.Equal(t, 1, st.Attempts)
		}
	})
}

func TestReportToMailOnlyToWhoMaySee(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := setup(t, db)
		m := newMailer(t, f)
		noMail, err := f.dir.SaveUser(ctx, permission.User{Tenant: f.tenant, Name: "無 メール", Active: true})
		require.NoError(t, err)

		// A record for its people only, reported to a, b and noMail.
		e := entry(f.yamada.ID)
		e.Scope = permission.Scope{Kind: permission.ScopeUsers}
		e.ReportTo = []uuid.UUID{f.aID, f.bID, noMail.ID}
		r, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)
		// Before the mails go out, a is taken off (and so no longer sees
		// it) and b leaves the company.
		e = r.Entry
		e.ReportTo = []uuid.UUID{f.bID, noMail.ID}
		_, err = f.svc.Update(f.staff, r.ID, r.Version, e)
		require.NoError(t, err)
		b, err := f.dir.User(ctx, f.tenant, f.bID)
		require.NoError(t, err)
		b.Active = false
		_, err = f.dir.SaveUser(ctx, *b)
		require.NoError(t, err)
		// A record reported to the manager, deleted before delivery.
		e = entry(f.yamada.ID)
		e.ReportTo = []uuid.UUID{f.managerID}
		gone, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)
		require.NoError(t, f.svc.Delete(f.staff, gone.ID, gone.Version))

		deliverAll(t, m.disp)
		require.Zero(t, m.count(), "nobody who may not see a record is mailed it")
		states := outboxStates(t, db, contactlog.TopicReportTo)
		require.Len(t, states, 4)
		for _, u := range []uuid.UUID{f.aID, f.bID, f.managerID} {
			require.Equal(t, "delivered", states[u.String()].Status, "dropped as done, not retried")
		}
		st := states[noMail.ID.String()]
		require.Equal(t, "dead", st.Status, "an address cannot appear by retrying")
		require.Contains(t, st.LastError, "no e-mail address")
	})
}

func TestReportToMailWaitsForAMailer(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		e := entry(f.yamada.ID)
		e.ReportTo = []uuid.UUID{f.managerID}
		_, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)

		// The fixture's service has no Mailer: the delivery fails, clearly,
		// and stays pending.
		n, err := newDispatcher(t, f, f.sys).RunOnce(context.Background())
		require.NoError(t, err)
		require.Equal(t, 1, n)
		st := outboxStates(t, db, contactlog.TopicReportTo)[f.managerID.String()]
		require.Equal(t, "pending", st.Status)
		require.Contains(t, st.LastError, "no Mailer configured")

		// Once a Mailer is there, the retry goes out.
		m := newMailer(t, f)
		deliverAll(t, m.disp)
		require.Len(t, m.to(t, "hanako@example.jp"), 1)
		st = outboxStates(t, db, contactlog.TopicReportTo)[f.managerID.String()]
		require.Equal(t, "delivered", st.Status)
		require.Equal(t, 2, st.Attempts)
	})
}

func TestMailRecord(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		f := setup(t, db)
		m := newMailer(t, f)
		// Seen by its author, a (scope), the author's manager and admins;
		// not by b, and not by the partner (not their customer).
		e := entry(f.yamada.ID)
		e.Scope = permission.Scope{Kind: permission.ScopeUsers, Targets: []uuid.UUID{f.aID}}
		e.PlannedAt = time.Date(2026, 11, 24, 1, 30, 0, 0, time.UTC)
		r, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)

		stranger := uuid.New()
		err = f.svc.MailRecord(f.staff, r.ID, []uuid.UUID{f.aID, f.bID, f.partnerID, stranger}, "")
		var verr *contactlog.ValidationError
		require.ErrorAs(t, err, &verr)
		var refused []string
		for _, fe := range verr.Fields {
			require.Equal(t, "to", fe.Field)
			refused = append(refused, fe.Code+" "+fe.Param)
		}
		require.ElementsMatch(t, []string{
			validation.CodeNotAllowed + " " + f.bID.String(), validation.CodeNotAllowed + " " + f.partnerID.String(),
			validation.CodeUnknown + " " + stranger.String(),
		}, refused, "every refused recipient, and only those")
		err = f.svc.MailRecord(f.staff, r.ID, nil, "")
		requireField(t, err, "to", validation.CodeRequired)
		err = f.svc.MailRecord(f.staff, r.ID, []uuid.UUID{f.aID}, strings.Repeat("メ", contactlog.MaxMailNoteLen+1))
		requireField(t, err, "note", validation.CodeTooLong)
		require.ErrorIs(t, f.svc.MailRecord(f.b, r.ID, []uuid.UUID{f.aID}, ""), contactlog.ErrNotFound, "the sender must see it")
		cust := permission.WithPrincipal(ctx, permission.Principal{Tenant: f.tenant, User: uuid.New(), Kind: permission.Customer, Customer: f.yamada.ID})
		require.ErrorIs(t, f.svc.MailRecord(cust, r.ID, []uuid.UUID{f.aID}, ""), contactlog.ErrPermissionDenied)
		require.Empty(t, outboxStates(t, db, contactlog.TopicMailRecord), "nothing is sent when anything is refused")

		// Sent twice: delivered twice.
		const note = "明日の訪問前に目を通しておいてください。"
		require.NoError(t, f.svc.MailRecord(f.staff, r.ID, []uuid.UUID{f.aID, f.managerID, f.aID}, "  "+note+"\n"))
		require.NoError(t, f.svc.MailRecord(f.staff, r.ID, []uuid.UUID{f.aID}, "再送します。"))
		deliverAll(t, m.disp)
		require.Len(t, m.to(t, "hanako@example.jp"), 1)
		got := m.to(t, "a@example.jp")
		require.Len(t, got, 2)
		notes := []string{}
		for _, g := range got {
			require.Equal(t, "【共有】山田 太郎 様 面談記録 (2026/11/24)", g.Subject, "the planned day in Tokyo")
			require.Equal(t, "ichiro@example.jp", g.ReplyTo[0].Address, "replies go to the sender")
			require.Equal(t, "担当 一郎", g.ReplyTo[0].Name)
			require.Equal(t, "営業 A", g.To[0].Name)
			require.Contains(t, g.Text, "担当 一郎 さんから接点記録が送られました。")
			require.Contains(t, g.Text, "予定日時: 2026/11/24(火) 10:30\n")
			require.Contains(t, g.Text, "■ 非公開メモ(社内のみ)\n決裁者は奥様。\n")
			_, after, ok := strings.Cut(g.Text, "■ メッセージ\n")
			require.True(t, ok, g.Text)
			notes = append(notes, strings.SplitN(after, "\n", 2)[0])
		}
		slices.Sort(notes)
		require.Equal(t, []string{"再送します。", note}, notes, "each send with its note, trimmed")

		log, err := permission.AuditLog(f.admin, db, permission.AuditQuery{ObjectType: "record", Object: r.ID})
		require.NoError(t, err)
		var mails []string
		for _, a := range log {
			if a.Action == "mail" {
				mails = append(mails, a.Detail)
			}
		}
		require.ElementsMatch(t, []string{"to=" + f.aID.String() + "," + f.managerID.String(), "to=" + f.aID.String()}, mails)

		// A draft has no customer to name.
		draft, err := f.svc.Create(f.staff, contactlog.Entry{Template: "builtin:interview", PublicMemo: "写真だけ"})
		require.NoError(t, err)
		require.NoError(t, f.svc.MailRecord(f.staff, draft.ID, []uuid.UUID{f.managerID}, ""))
		deliverAll(t, m.disp)
		got = m.to(t, "hanako@example.jp")
		require.Len(t, got, 2)
		require.Equal(t, "【共有】顧客未設定の下書き 面談記録 (2026/11/22)", got[1].Subject)
	})
}
