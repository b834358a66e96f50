package contactlog_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

func TestTimeline(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		tokyo, err := time.LoadLocation("Asia/Tokyo")
		require.NoError(t, err)
		at := func(actual time.Time) contactlog.Entry {
			e := entry(f.yamada.ID)
			e.ActualAt = actual
			return e
		}
		mk := func(ctx context.Context, e contactlog.Entry) *contactlog.Record {
			r, err := f.svc.Create(ctx, e)
			require.NoError(t, err)
			return r
		}
		// 15:30 UTC on 31 October is 00:30 on 1 November in Tokyo.
		nov := mk(f.staff, at(time.Date(2026, 10, 31, 15, 30, 0, 0, time.UTC)))
		oct := mk(f.staff, at(time.Date(2026, 10, 31, 14, 59, 0, 0, time.UTC)))
		daily := mk(f.staff, contactlog.Entry{Template: template.KeyDaily, Customer: f.yamada.ID, ActualAt: time.Date(2026, 10, 2, 1, 0, 0, 0, time.UTC),
			Values: map[string]any{"work_minutes": 30, "work_done": "点検"}})
		sep := mk(f.staff, at(time.Date(2026, 9, 15, 1, 0, 0, 0, time.UTC)))
		// Planned only: on the timeline at its planned time.
		planned := mk(f.staff, contactlog.Entry{Template: template.KeyInterview, Customer: f.yamada.ID, PlannedAt: time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC)})
		var aug []uuid.UUID // newest first
		for d := 22; d >= 1; d-- {
			aug = append(aug, mk(f.staff, at(time.Date(2026, 8, d, 1, 0, 0, 0, time.UTC))).ID)
		}
		hidden := at(time.Date(2026, 7, 10, 1, 0, 0, 0, time.UTC))
		hidden.Scope = permission.Scope{Kind: permission.ScopeUsers, Targets: []uuid.UUID{f.aID}}
		hiddenRec := mk(f.b, hidden)
		gone := mk(f.staff, at(time.Date(2026, 6, 10, 1, 0, 0, 0, time.UTC)))
		require.NoError(t, f.svc.Delete(f.staff, gone.ID, gone.Version))
		mk(f.staff, func() contactlog.Entry {
			e := entry(f.partnerCo.ID)
			e.ActualAt = time.Date(2026, 11, 1, 1, 0, 0, 0, time.UTC)
			return e
		}())

		month := func(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, tokyo) }
		requireMonth := func(want, got time.Time, msg string) {
			t.Helper()
			require.True(t, want.Equal(got), "%s: want %v, got %v", msg, want, got)
		}

		// The newest 20, then months.
		tl, err := f.svc.Timeline(f.staff, contactlog.TimelineQuery{Customer: f.yamada.ID})
		require.NoError(t, err)
		want := append([]uuid.UUID{planned.ID, nov.ID, oct.ID, daily.ID, sep.ID}, aug[:15]...)
		require.Equal(t, want, recordIDs(tl.Records))
		require.True(t, tl.Month.IsZero())
		requireMonth(month(2026, 8), tl.Older, "older: the month of the first record not shown")
		require.True(t, tl.Newer.IsZero())
		require.NotEmpty(t, tl.Next)
		var months []string
		for _, m := range tl.Months {
			requireMonth(m.Month, month(m.Month.Year(), m.Month.Month()), "months start at midnight in Tokyo")
			months = append(months, m.Month.Format("2006-01")+":"+strconv.Itoa(m.Count))
		}
		require.Equal(t, []string{"2026-12:1", "2026-11:1", "2026-10:2", "2026-09:1", "2026-08:22"}, months)
		require.Equal(t, []contactlog.TemplateCount{{Template: template.KeyInterview, Count: 26}, {Template: template.KeyDaily, Count: 1}}, tl.Templates)

		// The rest of the newest listing.
		tl, err = f.svc.Timeline(f.staff, contactlog.TimelineQuery{Customer: f.yamada.ID, After: tl.Next})
		require.NoError(t, err)
		require.Equal(t, aug[15:], recordIDs(tl.Records))
		require.Empty(t, tl.Next)
		require.True(t, tl.Older.IsZero())

		// Month mode, the month given by any instant in it (here as UTC).
		tl, err = f.svc.Timeline(f.staff, contactlog.TimelineQuery{Customer: f.yamada.ID, Month: time.Date(2026, 10, 31, 15, 30, 0, 0, time.UTC)})
		require.NoError(t, err)
		requireMonth(month(2026, 11), tl.Month, "November in Tokyo")
		require.Equal(t, []uuid.UUID{nov.ID}, recordIDs(tl.Records))
		requireMonth(month(2026, 10), tl.Older, "older")
		requireMonth(month(2026, 12), tl.Newer, "newer")
		tl, err = f.svc.Timeline(f.staff, contactlog.TimelineQuery{Customer: f.yamada.ID, Month: month(2026, 10)})
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{oct.ID, daily.ID}, recordIDs(tl.Records))
		requireMonth(month(2026, 9), tl.Older, "older")
		requireMonth(month(2026, 11), tl.Newer, "newer")
		require.Empty(t, tl.Next)

		// A long month in pages.
		var got []uuid.UUID
		q := contactlog.TimelineQuery{Customer: f.yamada.ID, Month: month(2026, 8).Add(72 * time.Hour), Limit: 5}
		for {
			tl, err := f.svc.Timeline(f.staff, q)
			require.NoError(t, err)
			got = append(got, recordIDs(tl.Records)...)
			require.True(t, tl.Older.IsZero(), "nothing before August for staff")
			requireMonth(month(2026, 9), tl.Newer, "newer")
			if tl.Next == "" {
				break
			}
			q.After = tl.Next
		}
		require.Equal(t, aug, got)
		_, err = f.svc.Timeline(f.staff, contactlog.TimelineQuery{Customer: f.yamada.ID, Month: month(2026, 9), Limit: 5, After: q.After})
		requireField(t, err, "after", validation.CodeFormat) // a cursor belongs to its month

		// An empty month still navigates.
		tl, err = f.svc.Timeline(f.staff, contactlog.TimelineQuery{Customer: f.yamada.ID, Month: month(2020, 1)})
		require.NoError(t, err)
		require.Empty(t, tl.Records)
		require.True(t, tl.Older.IsZero())
		requireMonth(month(2026, 8), tl.Newer, "newer")

		// The template filter narrows records and months, not the choices.
		tl, err = f.svc.Timeline(f.staff, contactlog.TimelineQuery{Customer: f.yamada.ID, Template: template.KeyDaily})
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{daily.ID}, recordIDs(tl.Records))
		require.Len(t, tl.Months, 1)
		requireMonth(month(2026, 10), tl.Months[0].Month, "daily month")
		require.Len(t, tl.Templates, 2)

		// Hidden records are neither listed nor counted.
		tl, err = f.svc.Timeline(f.a, contactlog.TimelineQuery{Customer: f.yamada.ID, Month: month(2026, 7)})
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{hiddenRec.ID}, recordIDs(tl.Records))
		requireMonth(month(2026, 8), tl.Newer, "newer")
		require.Len(t, tl.Months, 6)

		// The customer's portal: shared records only.
		sh := at(time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC))
		sh.Shared = true
		shared := mk(f.staff, sh)
		tl, err = f.svc.Timeline(customerCtx(f, f.yamada.ID), contactlog.TimelineQuery{Customer: f.yamada.ID})
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{shared.ID}, recordIDs(tl.Records))
		require.Empty(t, tl.Records[0].PrivateMemo)
		require.Len(t, tl.Months, 1)

		// A customer one may not see has no timeline.
		_, err = f.svc.Timeline(f.partner, contactlog.TimelineQuery{Customer: f.yamada.ID})
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		_, err = f.svc.Timeline(customerCtx(f, f.partnerCo.ID), contactlog.TimelineQuery{Customer: f.yamada.ID})
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		_, err = f.svc.Timeline(f.other, contactlog.TimelineQuery{Customer: f.yamada.ID})
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		_, err = f.svc.Timeline(f.staff, contactlog.TimelineQuery{Limit: 201, After: "x"})
		requireField(t, err, "customer", validation.CodeRequired)
		requireField(t, err, "limit", validation.CodeOutOfRange)
		requireField(t, err, "after", validation.CodeFormat)
	})
}

func TestHistory(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		now := f.clock.Now()
		day := 24 * time.Hour
		mk := func(ctx context.Context, cust uuid.UUID, tpl string, ago time.Duration, scope permission.Scope) *contactlog.Record {
			e := entry(cust)
			e.Template, e.ActualAt, e.Scope = tpl, now.Add(-ago), scope
			if tpl == template.KeyDaily {
				e.Values = map[string]any{"work_minutes": 30, "work_done": "点検"}
			}
			r, err := f.svc.Create(ctx, e)
			require.NoError(t, err)
			return r
		}
		company := permission.Scope{}
		onlyA := permission.Scope{Kind: permission.ScopeUsers, Targets: []uuid.UUID{f.aID}}
		gone := mk(f.staff, f.yamada.ID, template.KeyInterview, 9*day, company)
		require.NoError(t, f.svc.Delete(f.staff, gone.ID, gone.Version))
		first := mk(f.staff, f.yamada.ID, template.KeyInterview, 8*day, company)
		hidden := mk(f.b, f.yamada.ID, template.KeyInterview, 7*day, onlyA)
		mk(f.staff, f.partnerCo.ID, template.KeyInterview, 6*day, company)
		second := mk(f.staff, f.yamada.ID, template.KeyInterview, 5*day, company)
		mk(f.staff, f.yamada.ID, template.KeyDaily, 4*day, company)
		third := mk(f.staff, f.yamada.ID, template.KeyInterview, 3*day, company)
		mk(f.staff, f.yamada.ID, template.KeyInterview, 1*day, company) // newer: not history

		h, err := f.svc.History(f.staff, third.ID, 0)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{second.ID, first.ID}, recordIDs(h))
		h, err = f.svc.History(f.a, third.ID, 0)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{second.ID, hidden.ID, first.ID}, recordIDs(h))
		h, err = f.svc.History(f.staff, third.ID, 1)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{second.ID}, recordIDs(h))
		h, err = f.svc.History(f.staff, first.ID, 0)
		require.NoError(t, err)
		require.Empty(t, h)

		draft, err := f.svc.Create(f.staff, contactlog.Entry{Template: template.KeyInterview})
		require.NoError(t, err)
		h, err = f.svc.History(f.staff, draft.ID, 0)
		require.NoError(t, err)
		require.Empty(t, h)
		_, err = f.svc.History(f.b, third.ID, 1000)
		requireField(t, err, "limit", validation.CodeOutOfRange)
		_, err = f.svc.History(f.staff, hidden.ID, 0)
		require.ErrorIs(t, err, contactlog.ErrNotFound)
		_, err = f.svc.History(f.staff, gone.ID, 0)
		require.ErrorIs(t, err, contactlog.ErrNotFound)
	})
}

func TestCustomerStatuses(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		now := f.clock.Now()
		day := 24 * time.Hour
		onlyA := permission.Scope{Kind: permission.ScopeUsers, Targets: []uuid.UUID{f.aID}}
		mk := func(ctx context.Context, progress string, actual, planned time.Time, scope permission.Scope) *contactlog.Record {
			e := entry(f.yamada.ID)
			e.Progress, e.ActualAt, e.PlannedAt, e.Scope = progress, actual, planned, scope
			r, err := f.svc.Create(ctx, e)
			require.NoError(t, err)
			return r
		}
		mk(f.staff, "proposing", now.Add(-10*day), time.Time{}, permission.Scope{})
		won := mk(f.staff, "won", now.Add(-2*day), time.Time{}, permission.Scope{})
		mk(f.staff, "", now.Add(-1*day), time.Time{}, permission.Scope{}) // no progress
		lost := mk(f.b, "lost", now.Add(-time.Hour), time.Time{}, onlyA)
		gone := mk(f.staff, "first_contact", now.Add(-30*time.Minute), now.Add(12*time.Hour), permission.Scope{})
		require.NoError(t, f.svc.Delete(f.staff, gone.ID, gone.Version))
		mk(f.staff, "", time.Time{}, now.Add(-5*day), permission.Scope{}) // planned in the past
		mk(f.staff, "", time.Time{}, now.Add(3*day), permission.Scope{})
		soon := mk(f.b, "", time.Time{}, now.Add(day), onlyA)
		// The next contact is the earliest planned time after now, whether
		// or not the record already has an actual time.
		done := mk(f.staff, "", now.Add(-time.Minute), now.Add(2*day), permission.Scope{})

		ids := []uuid.UUID{f.yamada.ID, f.partnerCo.ID, uuid.New(), f.yamada.ID}
		st, err := f.svc.CustomerStatuses(f.staff, ids)
		require.NoError(t, err)
		require.Len(t, st, 1, "no entry without progress or plan, none for unknown IDs")
		require.Equal(t, "won", st[f.yamada.ID].Progress)
		require.Equal(t, won.ID, st[f.yamada.ID].ProgressRecord)
		require.True(t, won.ActualAt.Equal(st[f.yamada.ID].ProgressAt))
		require.Equal(t, done.ID, st[f.yamada.ID].NextRecord)
		require.True(t, done.PlannedAt.Equal(st[f.yamada.ID].NextContactAt))

		// a sees the records hidden from staff.
		st, err = f.svc.CustomerStatuses(f.a, ids)
		require.NoError(t, err)
		require.Equal(t, lost.ID, st[f.yamada.ID].ProgressRecord)
		require.Equal(t, "lost", st[f.yamada.ID].Progress)
		require.Equal(t, soon.ID, st[f.yamada.ID].NextRecord)

		// Nothing leaks across tenants or to the partner.
		for _, ctx := range []context.Context{f.other, f.partner} {
			st, err = f.svc.CustomerStatuses(ctx, ids)
			require.NoError(t, err)
			require.Empty(t, st)
		}
		st, err = f.svc.CustomerStatuses(f.staff, nil)
		require.NoError(t, err)
		require.Empty(t, st)
		_, err = f.svc.CustomerStatuses(f.staff, append(make([]uuid.UUID, 0, 201), uuid.Nil))
		requireField(t, err, "customers", validation.CodeInvalidUUID)
		many := make([]uuid.UUID, 201)
		for i := range many {
			many[i] = uuid.New()
		}
		_, err = f.svc.CustomerStatuses(f.staff, many)
		requireField(t, err, "customers", validation.CodeTooMany)
	})
}
