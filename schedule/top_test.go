package schedule_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/schedule"
)

// Top gives every principal what TopNotices and Requests (received, open,
// with its limit) give, from one statement.
func TestTopIsTopNoticesAndOpenRequests(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db) // today: 2026-12-05
		for _, n := range []struct {
			ctx context.Context
			in  schedule.NoticeInput
		}{
			{f.admin, schedule.NoticeInput{Title: "全社", Audience: schedule.AudienceTenant}},
			{f.a, schedule.NoticeInput{Title: "営業1課", Body: "会議", Audience: schedule.AudienceGroup, Group: f.group}},
			{f.c, schedule.NoticeInput{Title: "備忘", Audience: schedule.AudienceMe}},
			{f.admin, schedule.NoticeInput{Title: "非表示", Audience: schedule.AudienceTenant, Hidden: true}},
			{f.admin, schedule.NoticeInput{Title: "来週", Audience: schedule.AudienceTenant, From: d("2026-12-06")}},
		} {
			if n.in.From.IsZero() {
				n.in.From = d("2026-12-01")
			}
			n.in.To = d("2026-12-31")
			_, err := f.svc.CreateNotice(n.ctx, n.in)
			require.NoError(t, err)
		}
		for _, r := range []struct {
			ctx  context.Context
			in   schedule.RequestInput
			done bool
		}{
			{f.a, schedule.RequestInput{Title: "期限なし", To: []uuid.UUID{f.bID, f.cID}}, false},
			{f.a, schedule.RequestInput{Title: "期限あり", Body: "至急", To: []uuid.UUID{f.bID}, Due: d("2026-12-09")}, false},
			{f.b, schedule.RequestInput{Title: "自分の課題", Due: d("2026-12-07")}, false},
			{f.c, schedule.RequestInput{Title: "済み", To: []uuid.UUID{f.bID}}, true},
			{f.b, schedule.RequestInput{Title: "Aへ", To: []uuid.UUID{f.aID}}, false},
		} {
			q, err := f.svc.CreateRequest(r.ctx, r.in)
			require.NoError(t, err)
			if r.done {
				_, err = f.svc.SetRequestStatus(f.b, q.ID, q.Version, schedule.RequestDone)
				require.NoError(t, err)
			}
		}
		for name, ctx := range map[string]context.Context{"admin": f.admin, "a": f.a, "b": f.b, "c": f.c, "other tenant": f.other} {
			for _, limit := range []int{2, 6} {
				top, err := f.svc.Top(ctx, limit)
				require.NoError(t, err, name)
				notices, err := f.svc.TopNotices(ctx)
				require.NoError(t, err)
				requests, err := f.svc.Requests(ctx, schedule.RequestQuery{Box: schedule.Received, Open: true, Limit: limit})
				require.NoError(t, err)
				require.Equal(t, notices, top.Notices, name)
				require.Equal(t, requests, top.Requests, "%s, limit %d", name, limit)
			}
		}
		top, err := f.svc.Top(f.b, 2)
		require.NoError(t, err)
		require.Len(t, top.Notices, 2)
		require.Len(t, top.Requests, 2)
		require.Equal(t, "自分の課題", top.Requests[0].Title, "the soonest due first")
	})
}
