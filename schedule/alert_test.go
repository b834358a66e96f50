package schedule_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/schedule"
)

func requireField(t *testing.T, err error, field, code string) {
	t.Helper()
	var ve *validation.Error
	require.True(t, errors.As(err, &ve), "%v", err)
	require.True(t, ve.Has(field, code), "%v", ve.Fields)
}

func customerOccurrences(t *testing.T, ctx context.Context, svc *schedule.Service, cust uuid.UUID) []schedule.Occurrence {
	t.Helper()
	page, err := svc.Occurrences(ctx, schedule.OccurrenceQuery{Customer: cust})
	require.NoError(t, err)
	return page.Occurrences
}

func TestAlertVisibilityFollowsCustomer(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		al, err := f.svc.CreateAlert(f.a, postcard(f.yamada.ID))
		require.NoError(t, err)
		require.Equal(t, int64(1), al.Version)
		want := []string{"2022-03-29 季節ごと定期ハガキ(1/4)", "2022-07-29 季節ごと定期ハガキ(2/4)", "2022-11-29 季節ごと定期ハガキ(3/4)", "2023-03-29 季節ごと定期ハガキ(4/4)"}
		for _, ctx := range []context.Context{f.a, f.b, f.admin} {
			os := customerOccurrences(t, ctx, f.svc, f.yamada.ID)
			require.Equal(t, want, labels(os))
			require.Equal(t, "山田 太郎", os[0].CustomerName)
			require.True(t, os[0].RemindAt.IsZero(), "past occurrences are not reminded")
		}
		for _, ctx := range []context.Context{f.c, f.other} {
			require.Empty(t, customerOccurrences(t, ctx, f.svc, f.yamada.ID))
			_, err := f.svc.Alert(ctx, al.ID)
			require.ErrorIs(t, err, schedule.ErrNotFound)
			_, err = f.svc.UpdateAlert(ctx, al.ID, al.Version, postcard(f.yamada.ID))
			require.ErrorIs(t, err, schedule.ErrNotFound)
		}
		_, err = f.svc.CreateAlert(f.c, postcard(f.yamada.ID))
		requireField(t, err, "customer", validation.CodeUnknown)
		got, err := f.svc.Alert(f.b, al.ID)
		require.NoError(t, err)
		require.Equal(t, al.AlertInput, got.AlertInput)
		second, err := f.svc.CreateAlert(f.b, schedule.AlertInput{Customer: f.yamada.ID, Title: "年賀状", Start: d("2027-01-01"), Count: 1, Every: 1, Unit: schedule.Days})
		require.NoError(t, err)
		list, err := f.svc.CustomerAlerts(f.a, f.yamada.ID)
		require.NoError(t, err)
		require.Equal(t, []schedule.Alert{*second, *al}, list)
		_, err = f.svc.CustomerAlerts(f.c, f.yamada.ID)
		require.ErrorIs(t, err, schedule.ErrNotFound)
	})
}

func TestAlertValidation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		tests := []struct {
			name        string
			edit        func(*schedule.AlertInput)
			field, code string
		}{
			{"no customer", func(in *schedule.AlertInput) { in.Customer = uuid.Nil }, "customer", validation.CodeRequired},
			{"blank title", func(in *schedule.AlertInput) { in.Title = "  " }, "title", validation.CodeRequired},
			{"long title", func(in *schedule.AlertInput) { in.Title = strings.Repeat("あ", schedule.MaxTitleLen+1) }, "title", validation.CodeTooLong},
			{"no start", func(in *schedule.AlertInput) { in.Start = schedule.Date{} }, "start", validation.CodeRequired},
			{"Feb 30", func(in *schedule.AlertInput) { in.Start = schedule.Date{Year: 2026, Month: 2, Day: 30} }, "start", validation.CodeBadDate},
			{"count 0", func(in *schedule.AlertInput) { in.Count = 0 }, "count", validation.CodeOutOfRange},
			{"count too large", func(in *schedule.AlertInput) { in.Count = schedule.MaxCount + 1 }, "count", validation.CodeOutOfRange},
			{"every 0", func(in *schedule.AlertInput) { in.Every = 0 }, "every", validation.CodeOutOfRange},
			{"no unit", func(in *schedule.AlertInput) { in.Unit = "" }, "unit", validation.CodeRequired},
			{"unknown unit", func(in *schedule.AlertInput) { in.Unit = "year" }, "unit", validation.CodeUnknown},
			{"unknown customer", func(in *schedule.AlertInput) { in.Customer = uuid.Must(uuid.NewV7()) }, "customer", validation.CodeUnknown},
		}
		for _, tt := range tests {
			in := postcard(f.yamada.ID)
			tt.edit(&in)
			_, err := f.svc.CreateAlert(f.a, in)
			requireField(t, err, tt.field, tt.code)
		}
		_, err := f.svc.CreateAlert(f.other, postcard(f.yamada.ID))
		requireField(t, err, "customer", validation.CodeUnknown)
	})
}

func TestOccurrenceDoneAndMemo(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		_, err := f.svc.CreateAlert(f.a, postcard(f.yamada.ID))
		require.NoError(t, err)
		o := customerOccurrences(t, f.a, f.svc, f.yamada.ID)[0]
		done, err := f.svc.SetDone(f.b, o.ID, o.Version, true)
		require.NoError(t, err)
		require.True(t, done.Done)
		require.Equal(t, f.bID, done.DoneBy)
		require.False(t, done.DoneAt.IsZero())
		_, err = f.svc.SetDone(f.a, o.ID, o.Version, false)
		require.ErrorIs(t, err, schedule.ErrConflict)
		memo, err := f.svc.SetMemo(f.a, o.ID, done.Version, " 19338 ")
		require.NoError(t, err)
		require.Equal(t, "19338", memo.Memo)
		require.True(t, memo.Done)
		_, err = f.svc.SetMemo(f.a, o.ID, memo.Version, strings.Repeat("x", schedule.MaxMemoLen+1))
		requireField(t, err, "memo", validation.CodeTooLong)
		undone, err := f.svc.SetDone(f.a, o.ID, memo.Version, false)
		require.NoError(t, err)
		require.False(t, undone.Done)
		require.Equal(t, uuid.Nil, undone.DoneBy)
		require.Equal(t, "19338", undone.Memo)
		_, err = f.svc.SetDone(f.c, o.ID, undone.Version, true)
		require.ErrorIs(t, err, schedule.ErrNotFound)
		got, err := f.svc.Occurrence(f.admin, o.ID)
		require.NoError(t, err)
		require.Equal(t, undone, got)
	})
}

func TestUpdateAlertRegeneratesTheFuture(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db) // today: 2026-12-05
		in := schedule.AlertInput{Customer: f.yamada.ID, Title: "点検", Start: d("2026-11-05"), Count: 3, Every: 1, Unit: schedule.Months}
		al, err := f.svc.CreateAlert(f.a, in)
		require.NoError(t, err)
		os := customerOccurrences(t, f.a, f.svc, f.yamada.ID)
		require.Equal(t, []string{"2026-11-05 点検(1/3)", "2026-12-05 点検(2/3)", "2027-01-05 点検(3/3)"}, labels(os))
		require.False(t, os[1].RemindAt.IsZero(), "today's occurrence is reminded")
		_, err = f.svc.SetMemo(f.a, os[0].ID, os[0].Version, "電話済み")
		require.NoError(t, err)
		_, err = f.svc.SetMemo(f.a, os[2].ID, os[2].Version, "消える")
		require.NoError(t, err)

		in.Title, in.Every = "定期点検", 2
		up, err := f.svc.UpdateAlert(f.b, al.ID, al.Version, in)
		require.NoError(t, err)
		require.Equal(t, int64(2), up.Version)
		os = customerOccurrences(t, f.a, f.svc, f.yamada.ID)
		require.Equal(t, []string{"2026-11-05 定期点検(1/3)", "2027-01-05 定期点検(2/3)", "2027-03-05 定期点検(3/3)"}, labels(os))
		require.Equal(t, "電話済み", os[0].Memo)
		require.Empty(t, os[1].Memo)

		_, err = f.svc.UpdateAlert(f.a, al.ID, al.Version, in)
		require.ErrorIs(t, err, schedule.ErrConflict)
		in.Customer = f.sato.ID
		_, err = f.svc.UpdateAlert(f.admin, al.ID, up.Version, in)
		requireField(t, err, "customer", validation.CodeNotAllowed)

		require.ErrorIs(t, f.svc.DeleteAlert(f.a, al.ID, al.Version), schedule.ErrConflict)
		require.ErrorIs(t, f.svc.DeleteAlert(f.c, al.ID, up.Version), schedule.ErrNotFound)
		require.NoError(t, f.svc.DeleteAlert(f.a, al.ID, up.Version))
		require.Empty(t, customerOccurrences(t, f.a, f.svc, f.yamada.ID))
		_, err = f.svc.Alert(f.a, al.ID)
		require.ErrorIs(t, err, schedule.ErrNotFound)
	})
}

func TestOccurrenceSearch(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db) // today: Saturday 2026-12-05
		_, err := f.svc.CreateAlert(f.a, schedule.AlertInput{Customer: f.yamada.ID, Title: "週報", Start: d("2026-11-28"), Count: 4, Every: 1, Unit: schedule.Weeks})
		require.NoError(t, err)
		_, err = f.svc.CreateAlert(f.admin, schedule.AlertInput{Customer: f.sato.ID, Title: "年賀状", Start: d("2026-12-01"), Count: 2, Every: 10, Unit: schedule.Days})
		require.NoError(t, err)
		yes := true
		tests := []struct {
			name string
			ctx  context.Context
			q    schedule.OccurrenceQuery
			want []string
		}{
			{"this week, admin", f.admin, schedule.OccurrenceQuery{Period: schedule.ThisWeek}, []string{"2026-12-01 年賀状(1/2)", "2026-12-05 週報(2/4)"}},
			{"last week", f.a, schedule.OccurrenceQuery{Period: schedule.LastWeek}, []string{"2026-11-28 週報(1/4)"}},
			{"this month", f.admin, schedule.OccurrenceQuery{Period: schedule.ThisMonth}, []string{"2026-12-01 年賀状(1/2)", "2026-12-05 週報(2/4)", "2026-12-11 年賀状(2/2)", "2026-12-12 週報(3/4)", "2026-12-19 週報(4/4)"}},
			{"this month, staff a", f.a, schedule.OccurrenceQuery{Period: schedule.ThisMonth}, []string{"2026-12-05 週報(2/4)", "2026-12-12 週報(3/4)", "2026-12-19 週報(4/4)"}},
			{"from-to", f.admin, schedule.OccurrenceQuery{From: d("2026-11-01"), To: d("2026-12-01")}, []string{"2026-11-28 週報(1/4)", "2026-12-01 年賀状(1/2)"}},
			{"assignee c", f.admin, schedule.OccurrenceQuery{Assignee: f.cID}, []string{"2026-12-01 年賀状(1/2)", "2026-12-11 年賀状(2/2)"}},
			{"newest first", f.c, schedule.OccurrenceQuery{Newest: true}, []string{"2026-12-11 年賀状(2/2)", "2026-12-01 年賀状(1/2)"}},
			{"notified: none yet", f.admin, schedule.OccurrenceQuery{Status: schedule.StatusNotified}, []string{}},
			{"done: none yet", f.admin, schedule.OccurrenceQuery{Done: &yes}, []string{}},
			{"pending", f.c, schedule.OccurrenceQuery{Status: schedule.StatusPending}, []string{"2026-12-01 年賀状(1/2)", "2026-12-11 年賀状(2/2)"}},
		}
		for _, tt := range tests {
			page, err := f.svc.Occurrences(tt.ctx, tt.q)
			require.NoError(t, err, tt.name)
			require.Equal(t, tt.want, labels(page.Occurrences), tt.name)
		}

		// Keyset pages, both directions.
		for _, newest := range []bool{false, true} {
			var got []string
			q := schedule.OccurrenceQuery{Limit: 2, Newest: newest}
			for range 10 {
				page, err := f.svc.Occurrences(f.admin, q)
				require.NoError(t, err)
				got = append(got, labels(page.Occurrences)...)
				if q.After = page.Next; q.After == "" {
					break
				}
			}
			all, err := f.svc.Occurrences(f.admin, schedule.OccurrenceQuery{Newest: newest})
			require.NoError(t, err)
			require.Len(t, got, 6)
			require.Equal(t, labels(all.Occurrences), got)
		}

		bad := []struct {
			q           schedule.OccurrenceQuery
			field, code string
		}{
			{schedule.OccurrenceQuery{Period: "fortnight"}, "period", validation.CodeUnknown},
			{schedule.OccurrenceQuery{From: d("2026-12-02"), To: d("2026-12-01")}, "to", validation.CodeOutOfRange},
			{schedule.OccurrenceQuery{Status: "sent"}, "status", validation.CodeUnknown},
			{schedule.OccurrenceQuery{Limit: 201}, "limit", validation.CodeOutOfRange},
			{schedule.OccurrenceQuery{After: "x"}, "after", validation.CodeFormat},
		}
		for _, b := range bad {
			_, err := f.svc.Occurrences(f.admin, b.q)
			requireField(t, err, b.field, b.code)
		}
	})
}

func TestExportOccurrences(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		_, err := f.svc.CreateAlert(f.a, postcard(f.yamada.ID))
		require.NoError(t, err)
		o := customerOccurrences(t, f.a, f.svc, f.yamada.ID)[0]
		done, err := f.svc.SetDone(f.a, o.ID, o.Version, true)
		require.NoError(t, err)
		_, err = f.svc.SetMemo(f.a, o.ID, done.Version, "=SUM(1)")
		require.NoError(t, err)

		var buf bytes.Buffer
		n, err := f.svc.ExportOccurrences(f.a, &buf, schedule.OccurrenceQuery{To: d("2022-07-29")}, "")
		require.NoError(t, err)
		require.Equal(t, 2, n)
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\r\n"), "\r\n")
		require.Equal(t, "\ufeff日付,顧客ID,顧客名,内容,通知,完了,完了日時,メモ", lines[0])
		require.Equal(t, "2022/03/29,"+f.yamada.ID.String()+",山田 太郎,季節ごと定期ハガキ(1/4),未通知,済,"+
			done.DoneAt.In(jst(t)).Format("2006/01/02 15:04")+",'=SUM(1)", lines[1])
		require.Equal(t, "2022/07/29,"+f.yamada.ID.String()+",山田 太郎,季節ごと定期ハガキ(2/4),未通知,,,", lines[2])

		buf.Reset()
		n, err = f.svc.ExportOccurrences(f.c, &buf, schedule.OccurrenceQuery{}, customer.ShiftJIS)
		require.NoError(t, err)
		require.Zero(t, n)
		require.Equal(t, "\x93\xfa\x95t", buf.String()[:4], "Shift_JIS 日付")

		_, err = f.svc.ExportOccurrences(f.a, &buf, schedule.OccurrenceQuery{}, "latin1")
		requireField(t, err, "encoding", validation.CodeUnknown)
	})
}
