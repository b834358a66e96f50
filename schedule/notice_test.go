package schedule_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/schedule"
)

func titles(t *testing.T, ns []schedule.Notice, err error) []string {
	t.Helper()
	require.NoError(t, err)
	out := []string{}
	for _, n := range ns {
		out = append(out, n.Title)
	}
	return out
}

func TestNoticesAudienceAndPeriod(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db) // today: 2026-12-05
		mk := func(ctx context.Context, in schedule.NoticeInput) *schedule.Notice {
			n, err := f.svc.CreateNotice(ctx, in)
			require.NoError(t, err)
			return n
		}
		now := schedule.NoticeInput{From: d("2026-12-01"), To: d("2026-12-05")}
		all := now
		all.Title, all.Body, all.Audience = "年末年始の営業", "12/29〜1/3は休業です。", schedule.AudienceTenant
		mk(f.admin, all)
		grp := now
		grp.Title, grp.Audience, grp.Group = "営業1課 会議", schedule.AudienceGroup, f.group
		mk(f.a, grp)
		me := now
		me.Title, me.Audience = "見積書を送る", schedule.AudienceMe
		memo := mk(f.c, me)
		hidden := all
		hidden.Title, hidden.Hidden = "非表示", true
		mk(f.admin, hidden)
		later := all
		later.Title, later.From, later.To = "来週から", d("2026-12-06"), d("2026-12-31")
		mk(f.admin, later)
		past := all
		past.Title, past.From, past.To = "先月", d("2026-11-01"), d("2026-12-04")
		mk(f.admin, past)

		tests := []struct {
			name string
			ctx  context.Context
			want []string
		}{
			{"a: tenant and group", f.a, []string{"営業1課 会議", "年末年始の営業"}},
			{"b: tenant and group", f.b, []string{"営業1課 会議", "年末年始の営業"}},
			{"c: tenant and own memo", f.c, []string{"見積書を送る", "年末年始の営業"}},
			{"admin: tenant only", f.admin, []string{"年末年始の営業"}},
			{"other tenant", f.other, []string{}},
		}
		for _, tt := range tests {
			ns, err := f.svc.TopNotices(tt.ctx)
			require.Equal(t, tt.want, titles(t, ns, err), tt.name)
		}
		ns, err := f.svc.ManagedNotices(f.admin)
		require.Equal(t, []string{"先月", "来週から", "非表示", "見積書を送る", "営業1課 会議", "年末年始の営業"}, titles(t, ns, err))
		ns, err = f.svc.ManagedNotices(f.c)
		require.Equal(t, []string{"見積書を送る"}, titles(t, ns, err))

		// Author and admins edit and delete; others in the audience may not;
		// a memo to oneself does not exist for anyone else but admins.
		me.Title = "見積書を送る(済)"
		up, err := f.svc.UpdateNotice(f.c, memo.ID, memo.Version, me)
		require.NoError(t, err)
		require.Equal(t, int64(2), up.Version)
		require.Equal(t, me, up.NoticeInput)
		_, err = f.svc.UpdateNotice(f.c, memo.ID, memo.Version, me)
		require.ErrorIs(t, err, schedule.ErrConflict)
		_, err = f.svc.UpdateNotice(f.a, memo.ID, up.Version, me)
		require.ErrorIs(t, err, schedule.ErrNotFound)
		first, err := f.svc.TopNotices(f.a)
		require.NoError(t, err)
		require.ErrorIs(t, f.svc.DeleteNotice(f.a, first[1].ID, first[1].Version), schedule.ErrPermissionDenied)
		require.ErrorIs(t, f.svc.DeleteNotice(f.other, first[1].ID, first[1].Version), schedule.ErrNotFound)
		require.NoError(t, f.svc.DeleteNotice(f.admin, up.ID, up.Version))
		ns, err = f.svc.TopNotices(f.c)
		require.Equal(t, []string{"年末年始の営業"}, titles(t, ns, err))
	})
}

func TestNoticeValidation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		valid := schedule.NoticeInput{Title: "お知らせ", From: d("2026-12-01"), To: d("2026-12-31"), Audience: schedule.AudienceTenant}
		tests := []struct {
			name        string
			ctx         context.Context
			edit        func(*schedule.NoticeInput)
			field, code string
		}{
			{"no title", f.a, func(in *schedule.NoticeInput) { in.Title = "" }, "title", validation.CodeRequired},
			{"control character in title", f.a, func(in *schedule.NoticeInput) { in.Title = "お知らせ\x1b" }, "title", validation.CodeFormat},
			{"no from", f.a, func(in *schedule.NoticeInput) { in.From = schedule.Date{} }, "from", validation.CodeRequired},
			{"bad to", f.a, func(in *schedule.NoticeInput) { in.To = schedule.Date{Year: 2026, Month: 4, Day: 31} }, "to", validation.CodeBadDate},
			{"to before from", f.a, func(in *schedule.NoticeInput) { in.To = d("2026-11-30") }, "to", validation.CodeOutOfRange},
			{"no audience", f.a, func(in *schedule.NoticeInput) { in.Audience = "" }, "audience", validation.CodeRequired},
			{"unknown audience", f.a, func(in *schedule.NoticeInput) { in.Audience = "world" }, "audience", validation.CodeUnknown},
			{"group without group", f.a, func(in *schedule.NoticeInput) { in.Audience = schedule.AudienceGroup }, "group", validation.CodeRequired},
			{"group with tenant", f.a, func(in *schedule.NoticeInput) { in.Group = f.group }, "group", validation.CodeNotAllowed},
			{"a group one is not in", f.c, func(in *schedule.NoticeInput) { in.Audience, in.Group = schedule.AudienceGroup, f.group }, "group", validation.CodeUnknown},
			{"an unknown group, admin", f.admin, func(in *schedule.NoticeInput) {
				in.Audience, in.Group = schedule.AudienceGroup, uuid.Must(uuid.NewV7())
			}, "group", validation.CodeUnknown},
		}
		for _, tt := range tests {
			in := valid
			tt.edit(&in)
			_, err := f.svc.CreateNotice(tt.ctx, in)
			requireField(t, err, tt.field, tt.code)
		}
		in := valid
		in.Audience, in.Group = schedule.AudienceGroup, f.group
		_, err := f.svc.CreateNotice(f.admin, in)
		require.NoError(t, err, "admins address any group of the tenant")
	})
}
