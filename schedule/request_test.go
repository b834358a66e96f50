package schedule_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/mail/mailtest"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/schedule"
)

func TestRequests(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		rec, err := f.records.Create(f.a, contactlog.Entry{Template: "builtin:interview", Customer: f.yamada.ID})
		require.NoError(t, err)
		req, err := f.svc.CreateRequest(f.a, schedule.RequestInput{Title: "見積書の作成", Body: "来週までに", Due: d("2026-12-10"),
			To: []uuid.UUID{f.bID, f.cID}, Record: rec.ID})
		require.NoError(t, err)
		require.Equal(t, schedule.RequestOpen, req.Status)
		require.False(t, req.Task)
		task, err := f.svc.CreateRequest(f.a, schedule.RequestInput{Title: "名刺の整理"})
		require.NoError(t, err)
		require.True(t, task.Task)
		require.Equal(t, []uuid.UUID{f.aID}, task.To)

		for _, tc := range []struct {
			in          schedule.RequestInput
			field, code string
		}{
			{schedule.RequestInput{}, "title", validation.CodeRequired},
			{schedule.RequestInput{Title: "x", To: []uuid.UUID{uuid.New()}}, "to", validation.CodeUnknown},
			{schedule.RequestInput{Title: "x", Due: schedule.Date{Year: 2026, Month: 2, Day: 30}}, "due", validation.CodeBadDate},
			{schedule.RequestInput{Title: "x", Record: uuid.New()}, "record", validation.CodeUnknown},
		} {
			_, err := f.svc.CreateRequest(f.a, tc.in)
			requireField(t, err, tc.field, tc.code)
		}

		titles := func(ctx context.Context, q schedule.RequestQuery) []string {
			rs, err := f.svc.Requests(ctx, q)
			require.NoError(t, err)
			var out []string
			for _, r := range rs {
				out = append(out, r.Title)
			}
			return out
		}
		require.Equal(t, []string{"見積書の作成"}, titles(f.a, schedule.RequestQuery{Box: schedule.Sent}))
		sent, err := f.svc.Requests(f.a, schedule.RequestQuery{Box: schedule.Sent})
		require.NoError(t, err)
		one, err := f.svc.Request(f.a, req.ID)
		require.NoError(t, err)
		require.Len(t, sent[0].To, 2)
		require.Equal(t, one.To, sent[0].To, "a listing reads the recipients with the requests, in the order Request gives")
		require.False(t, sent[0].Task)
		require.Equal(t, []string{"名刺の整理"}, titles(f.a, schedule.RequestQuery{Box: schedule.Received}))
		_, err = f.svc.CreateRequest(f.a, schedule.RequestInput{Title: "電話の折返し", Due: d("2026-12-09")})
		require.NoError(t, err)
		require.Equal(t, []string{"電話の折返し", "名刺の整理"}, titles(f.a, schedule.RequestQuery{Box: schedule.Received}))
		require.Equal(t, []string{"電話の折返し"}, titles(f.a, schedule.RequestQuery{Box: schedule.Received, Limit: 1}),
			"a limit keeps the first of the order")
		require.Equal(t, []string{"見積書の作成"}, titles(f.b, schedule.RequestQuery{Box: schedule.Received, Open: true}))
		require.Empty(t, titles(f.admin, schedule.RequestQuery{Box: schedule.Received}))
		_, err = f.svc.Request(f.admin, req.ID)
		require.ErrorIs(t, err, schedule.ErrNotFound)

		_, err = f.svc.ReplyToRequest(f.b, req.ID, "承知しました")
		require.NoError(t, err)
		_, err = f.svc.ReplyToRequest(f.b, req.ID, " ")
		requireField(t, err, "body", validation.CodeRequired)
		up, err := f.svc.SetRequestStatus(f.b, req.ID, req.Version, schedule.RequestInProgress)
		require.NoError(t, err)
		require.Equal(t, schedule.RequestInProgress, up.Status)
		_, err = f.svc.SetRequestStatus(f.c, req.ID, req.Version, schedule.RequestDone)
		require.ErrorIs(t, err, schedule.ErrConflict)
		_, err = f.svc.SetRequestStatus(f.c, req.ID, up.Version, "later")
		requireField(t, err, "status", validation.CodeUnknown)
		got, err := f.svc.Request(f.c, req.ID)
		require.NoError(t, err)
		require.Len(t, got.Replies, 1)
		require.Equal(t, "承知しました", got.Replies[0].Body)
		_, err = f.svc.SetRequestStatus(f.c, req.ID, up.Version, schedule.RequestDone)
		require.NoError(t, err)
		require.Empty(t, titles(f.b, schedule.RequestQuery{Box: schedule.Received, Open: true}))
		_, err = f.svc.Requests(f.a, schedule.RequestQuery{})
		requireField(t, err, "box", validation.CodeUnknown)
	})
}

func TestRequestNotifiedOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		srv := mailtest.Start(t, mailtest.Options{})
		m, err := mail.NewSMTP(&mail.SMTPConfig{Host: srv.Host, Port: srv.Port, TLS: mail.TLSNone, Timeout: 10 * time.Second, Clock: f.clock.Now})
		require.NoError(t, err)
		cfg := *f.cfg
		cfg.Mailer, cfg.MailFrom = m, mail.Address{Name: "記録商事", Email: "noreply@kiroku.example"}
		_, err = f.svc.CreateRequest(f.a, schedule.RequestInput{Title: "見積書の作成", Due: d("2026-12-10"), To: []uuid.UUID{f.aID, f.bID}})
		require.NoError(t, err)
		procs := []process{newProcess(t, f, db, cfg), newProcess(t, f, dbtest.Reopen(t, db), cfg)}
		drainAll(t, procs)
		msgs := srv.Messages()
		require.Len(t, msgs, 1, "b only: the author needs no telling")
		c := msgs[0].Parse(t)
		require.Equal(t, "b@example.jp", c.To[0].Address)
		require.Equal(t, "【依頼】見積書の作成 (営業 A)", c.Subject)
		require.Contains(t, c.Text, "期限: 2026/12/10")
	})
}
