package schedule_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/schedule"
)

func TestFeed(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		_, err := f.svc.CreateAppointment(f.a, visit(t, f, "2026-12-08 10:00"))
		require.NoError(t, err)
		_, err = f.svc.CreateAppointment(f.a, visit(t, f, "2027-06-08 10:00"))
		require.NoError(t, err, "outside the feed's window")
		late := visit(t, f, "2027-03-01 10:00")
		late.Title = "遠い訪問"
		_, err = f.svc.CreateAppointment(f.a, late)
		require.NoError(t, err, "near the window's far end (today + FeedDaysAfter)")
		night := visit(t, f, "2027-01-04 23:00")
		night.Title, night.End = "夜間対応", at(t, "2027-01-05 01:00")
		_, err = f.svc.CreateAppointment(f.a, night)
		require.NoError(t, err, "across midnight inside the window")
		_, err = f.records.Create(f.admin, contactlog.Entry{Template: "builtin:interview", Customer: f.yamada.ID,
			Responders: []uuid.UUID{f.cID}, ActualAt: at(t, "2026-12-01 14:00")})
		require.NoError(t, err)

		_, err = f.svc.Feed(f.a)
		require.ErrorIs(t, err, schedule.ErrNotFound)
		token, err := f.svc.CreateFeed(f.a)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(token, f.tenant.String()+"."))
		info, err := f.svc.Feed(f.a)
		require.NoError(t, err)
		require.False(t, info.CreatedAt.IsZero())
		var hash string
		require.NoError(t, db.NewSelect().TableExpr("schedule_feeds").Column("token_hash").Where("user_id = ?", f.aID).Scan(context.Background(), &hash))
		require.NotContains(t, hash, strings.SplitN(token, ".", 2)[1], "only the hash is stored")

		feed := func(token string) (string, error) {
			var b bytes.Buffer
			err := f.svc.WriteFeed(context.Background(), token, &b)
			return b.String(), err
		}
		out, err := feed(token)
		require.NoError(t, err)
		require.Contains(t, out, "BEGIN:VCALENDAR")
		require.Equal(t, 1, strings.Count(out, "SUMMARY:定期訪問 山田 太郎"), out)
		require.Equal(t, 1, strings.Count(out, "SUMMARY:遠い訪問 山田 太郎"), out)
		require.Equal(t, 1, strings.Count(out, "SUMMARY:夜間対応 山田 太郎"), out)
		require.Contains(t, out, "DTSTART:20261208T010000Z")
		require.Contains(t, out, "LOCATION:山田様宅")
		require.Contains(t, out, "DESCRIPTION:直行直帰")
		require.Contains(t, out, "SUMMARY:記録 山田 太郎")
		require.NotContains(t, out, "見積書を持参", "no memos")

		// c sees the record as its responder, not yamada's name.
		ct, err := f.svc.CreateFeed(f.c)
		require.NoError(t, err)
		out, err = feed(ct)
		require.NoError(t, err)
		require.Contains(t, out, "SUMMARY:記録\r\n")
		require.NotContains(t, out, "山田")

		// A new token replaces the old one; revoking ends it.
		token2, err := f.svc.CreateFeed(f.a)
		require.NoError(t, err)
		_, err = feed(token)
		require.ErrorIs(t, err, schedule.ErrUnauthenticated)
		_, err = feed(token2)
		require.NoError(t, err)
		require.NoError(t, f.svc.RevokeFeed(f.a))
		_, err = feed(token2)
		require.ErrorIs(t, err, schedule.ErrUnauthenticated)
		require.ErrorIs(t, f.svc.RevokeFeed(f.a), schedule.ErrNotFound)
		for _, bad := range []string{"", "x", "not-a-uuid.abc", f.tenant.String() + ".", f.tenant.String()} {
			_, err = feed(bad)
			require.ErrorIs(t, err, schedule.ErrUnauthenticated, bad)
		}
	})
}
