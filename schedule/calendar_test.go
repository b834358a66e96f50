package schedule_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/schedule"
)

// entries renders a calendar as "staff kind day time customer" lines.
func entries(t *testing.T, f *fixture, c *schedule.Calendar) []string {
	t.Helper()
	names := map[uuid.UUID]string{f.aID: "a", f.bID: "b", f.cID: "c", f.adminID: "admin"}
	var out []string
	for _, e := range c.Entries {
		s := fmt.Sprintf("%s %s %s", names[e.Staff], e.Kind, e.Start.In(jst(t)).Format("01-02 15:04"))
		if e.CustomerName != "" {
			s += " " + e.CustomerName
		}
		if e.Planned {
			s += " planned"
		}
		out = append(out, s)
	}
	return out
}

func week(t *testing.T, f *fixture, ctx context.Context, q schedule.CalendarQuery) []string {
	t.Helper()
	var err error
	q.From, q.To, err = schedule.ViewWeek.Range(d("2026-12-01"))
	require.NoError(t, err)
	c, err := f.svc.Calendar(ctx, q)
	require.NoError(t, err)
	return entries(t, f, c)
}

func TestCalendarReadsAppointmentsAndRecords(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		_, err := f.svc.CreateAppointment(f.a, visit(t, f, "2026-12-02 10:00"))
		require.NoError(t, err)
		// An internal appointment of a's that only c may see besides a.
		_, err = f.svc.CreateAppointment(f.a, schedule.AppointmentInput{Title: "面談", Start: at(t, "2026-12-03 09:00"),
			Scope: permission.Scope{Kind: permission.ScopeUsers, Targets: []uuid.UUID{f.cID}}})
		require.NoError(t, err)
		// c responded to yamada (whose assignees are a and b): on c's,
		// a's and b's calendars.
		_, err = f.records.Create(f.admin, contactlog.Entry{Template: "builtin:interview", Customer: f.yamada.ID,
			Responders: []uuid.UUID{f.cID}, ActualAt: at(t, "2026-12-01 14:00")})
		require.NoError(t, err)
		// A planned record of sato's, c's customer: c's calendar only, and
		// a does not see it.
		_, err = f.records.Create(f.c, contactlog.Entry{Template: "builtin:interview", Customer: f.sato.ID,
			PlannedAt: at(t, "2026-12-04 16:00")})
		require.NoError(t, err)
		// Outside the week.
		_, err = f.records.Create(f.a, contactlog.Entry{Template: "builtin:interview", Customer: f.yamada.ID,
			ActualAt: at(t, "2026-11-28 23:59")})
		require.NoError(t, err)

		require.Equal(t, []string{
			"a record 12-01 14:00 山田 太郎",
			"a appointment 12-02 10:00 山田 太郎",
			"a appointment 12-03 09:00",
		}, week(t, f, f.a, schedule.CalendarQuery{}))
		require.Equal(t, []string{
			"c record 12-01 14:00",
			"c record 12-04 16:00 佐藤 花子 planned",
		}, week(t, f, f.c, schedule.CalendarQuery{}), "c sees the yamada record as its responder, not yamada's name")
		require.Equal(t, []string{
			"a record 12-01 14:00 山田 太郎",
			"a appointment 12-02 10:00 山田 太郎",
		}, week(t, f, f.b, schedule.CalendarQuery{Staff: []uuid.UUID{f.aID}}), "b does not see a's private appointment")
		require.Equal(t, []string{
			"a record 12-01 14:00",
			"a appointment 12-03 09:00",
		}, week(t, f, f.c, schedule.CalendarQuery{Staff: []uuid.UUID{f.aID}}))
		require.Equal(t, []string{
			"a record 12-01 14:00 山田 太郎",
			"b record 12-01 14:00 山田 太郎",
			"a appointment 12-02 10:00 山田 太郎",
			"a appointment 12-03 09:00",
		}, week(t, f, f.a, schedule.CalendarQuery{Group: f.group}), "the group's members, each record on each calendar")
		require.Equal(t, []string{
			"c record 12-01 14:00 山田 太郎",
			"a record 12-01 14:00 山田 太郎",
			"a appointment 12-02 10:00 山田 太郎",
			"a appointment 12-03 09:00",
			"c record 12-04 16:00 佐藤 花子 planned",
		}, week(t, f, f.admin, schedule.CalendarQuery{Staff: []uuid.UUID{f.cID, f.aID}}))
		require.Empty(t, week(t, f, f.other, schedule.CalendarQuery{Staff: []uuid.UUID{f.aID, f.cID}}))

		_, err = f.svc.Calendar(f.a, schedule.CalendarQuery{From: d("2026-12-01"), To: d("2027-03-01")})
		requireField(t, err, "to", validation.CodeOutOfRange)
		_, err = f.svc.Calendar(f.a, schedule.CalendarQuery{})
		requireField(t, err, "from", validation.CodeRequired)
	})
}

// A record moves on the calendars when its time changes (planned to
// another week, then done earlier), on its responder's and on its
// customer's assignees' alike, and leaves them in the trash.
func TestCalendarFollowsRecordTime(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		weekOf := func(day string) []string {
			t.Helper()
			from, to, err := schedule.ViewWeek.Range(d(day))
			require.NoError(t, err)
			c, err := f.svc.Calendar(f.admin, schedule.CalendarQuery{Staff: []uuid.UUID{f.cID, f.aID, f.bID}, From: from, To: to})
			require.NoError(t, err)
			return entries(t, f, c)
		}
		e := contactlog.Entry{Template: "builtin:interview", Customer: f.yamada.ID, Responders: []uuid.UUID{f.cID},
			PlannedAt: at(t, "2026-12-02 10:00")}
		r, err := f.records.Create(f.admin, e)
		require.NoError(t, err)
		planned := []string{"c record 12-02 10:00 山田 太郎 planned", "a record 12-02 10:00 山田 太郎 planned", "b record 12-02 10:00 山田 太郎 planned"}
		require.Equal(t, planned, weekOf("2026-12-01"))
		require.Empty(t, weekOf("2026-12-08"))

		e.PlannedAt = at(t, "2026-12-09 15:00")
		r, err = f.records.Update(f.admin, r.ID, r.Version, e)
		require.NoError(t, err)
		require.Empty(t, weekOf("2026-12-01"), "moved to the next week")
		require.Equal(t, []string{"c record 12-09 15:00 山田 太郎 planned", "a record 12-09 15:00 山田 太郎 planned",
			"b record 12-09 15:00 山田 太郎 planned"}, weekOf("2026-12-08"))

		// Done earlier than planned: dated by the actual time.
		e.ActualAt = at(t, "2026-12-03 09:30")
		r, err = f.records.Update(f.admin, r.ID, r.Version, e)
		require.NoError(t, err)
		require.Empty(t, weekOf("2026-12-08"))
		done := []string{"c record 12-03 09:30 山田 太郎", "a record 12-03 09:30 山田 太郎", "b record 12-03 09:30 山田 太郎"}
		require.Equal(t, done, weekOf("2026-12-01"))

		require.NoError(t, f.records.Delete(f.admin, r.ID, r.Version))
		require.Empty(t, weekOf("2026-12-01"), "in the trash")
		require.NoError(t, f.records.Restore(f.admin, r.ID, r.Version+1))
		require.Equal(t, done, weekOf("2026-12-01"))
	})
}

// An appointment moves on its staff's calendars when its time or its
// staff change; one that began before the period and runs into it is on
// it.
func TestCalendarFollowsAppointmentTime(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		weekOf := func(day string) []string {
			t.Helper()
			from, to, err := schedule.ViewWeek.Range(d(day))
			require.NoError(t, err)
			c, err := f.svc.Calendar(f.admin, schedule.CalendarQuery{Staff: []uuid.UUID{f.aID, f.bID}, From: from, To: to})
			require.NoError(t, err)
			return entries(t, f, c)
		}
		a, err := f.svc.CreateAppointment(f.a, visit(t, f, "2026-12-02 10:00"))
		require.NoError(t, err)
		require.Equal(t, []string{"a appointment 12-02 10:00 山田 太郎"}, weekOf("2026-12-01"))

		in := a.AppointmentInput
		in.Start, in.End, in.Staff = at(t, "2026-12-10 13:00"), at(t, "2026-12-10 14:00"), []uuid.UUID{f.bID}
		a, err = f.svc.UpdateAppointment(f.a, a.ID, a.Version, in)
		require.NoError(t, err)
		require.Empty(t, weekOf("2026-12-01"))
		require.Equal(t, []string{"b appointment 12-10 13:00 山田 太郎"}, weekOf("2026-12-08"))

		// From Saturday to Monday: on both weeks.
		in.Start, in.End = at(t, "2026-12-05 09:00"), at(t, "2026-12-07 18:00")
		_, err = f.svc.UpdateAppointment(f.a, a.ID, a.Version, in)
		require.NoError(t, err)
		require.Equal(t, []string{"b appointment 12-05 09:00 山田 太郎"}, weekOf("2026-12-01"))
		require.Equal(t, []string{"b appointment 12-05 09:00 山田 太郎"}, weekOf("2026-12-08"))
		require.Empty(t, weekOf("2026-12-15"))

		// The longest appointment, all day from its first day to the day
		// MaxAppointmentDays later: on the calendar of its first day
		// (the read bounds ends by the longest span) and of its last.
		day := func(s string) []string {
			t.Helper()
			c, err := f.svc.Calendar(f.admin, schedule.CalendarQuery{Staff: []uuid.UUID{f.aID}, From: d(s), To: d(s)})
			require.NoError(t, err)
			return entries(t, f, c)
		}
		long := visit(t, f, "2026-12-01 00:00")
		long.AllDay, long.End = true, at(t, d("2026-12-01").AddDays(schedule.MaxAppointmentDays).String()+" 00:00")
		_, err = f.svc.CreateAppointment(f.a, long)
		require.NoError(t, err)
		require.Equal(t, []string{"a appointment 12-01 00:00 山田 太郎"}, day("2026-12-01"))
		require.Equal(t, []string{"a appointment 12-01 00:00 山田 太郎"}, day("2027-12-02"))
		require.Empty(t, day("2027-12-03"))
	})
}

func TestCalendarMonthEdgeInTokyo(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		in := visit(t, f, "2026-11-30 23:30")
		in.End = at(t, "2026-11-30 23:59")
		_, err := f.svc.CreateAppointment(f.a, in)
		require.NoError(t, err)
		count := func(view schedule.View, day string) int {
			from, to, err := view.Range(d(day))
			require.NoError(t, err)
			c, err := f.svc.Calendar(f.a, schedule.CalendarQuery{From: from, To: to})
			require.NoError(t, err)
			return len(c.Entries)
		}
		require.Equal(t, 1, count(schedule.ViewMonth, "2026-11-15"))
		require.Equal(t, 0, count(schedule.ViewMonth, "2026-12-15"), "14:30 UTC on the 30th is still November in Tokyo")
		require.Equal(t, 1, count(schedule.ViewDay, "2026-11-30"))
		require.Equal(t, 0, count(schedule.ViewDay, "2026-12-01"))

		// The quick ranges, at 23:30 JST on the last day of November.
		now := at(t, "2026-11-30 23:30")
		from, to, err := schedule.ThisMonth.Range(now, jst(t))
		require.NoError(t, err)
		require.Equal(t, "2026-11-01 2026-11-30", from.String()+" "+to.String())
		from, to, err = schedule.NextMonth.Range(now.UTC(), jst(t))
		require.NoError(t, err)
		require.Equal(t, "2026-12-01 2026-12-31", from.String()+" "+to.String())
	})
}

func TestCalendarHolidays(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		from, to, err := schedule.ViewMonth.Range(d("2026-09-01"))
		require.NoError(t, err)
		c, err := f.svc.Calendar(f.a, schedule.CalendarQuery{From: from, To: to})
		require.NoError(t, err)
		require.Equal(t, []schedule.Holiday{
			{Date: d("2026-09-21"), Name: "敬老の日"},
			{Date: d("2026-09-22"), Name: schedule.HolidayCitizens},
			{Date: d("2026-09-23"), Name: "秋分の日"},
		}, c.Holidays)
	})
}

func TestCustomerAppointments(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		for _, s := range []string{"2026-12-10 10:00", "2026-12-01 10:00", "2026-12-07 10:00"} {
			_, err := f.svc.CreateAppointment(f.a, visit(t, f, s))
			require.NoError(t, err)
		}
		list, err := f.svc.CustomerAppointments(f.b, f.yamada.ID, 0)
		require.NoError(t, err)
		require.Len(t, list, 2, "the past one is left out")
		require.Equal(t, at(t, "2026-12-07 10:00").UTC(), list[0].Start)
		require.Equal(t, []uuid.UUID{f.aID}, list[0].Staff)
		past, err := f.svc.CustomerPastAppointments(f.b, f.yamada.ID, 0)
		require.NoError(t, err)
		require.Len(t, past, 1, "only the past one")
		require.Equal(t, at(t, "2026-12-01 10:00").UTC(), past[0].Start)
		require.Equal(t, []uuid.UUID{f.aID}, past[0].Staff)
		_, err = f.svc.CustomerAppointments(f.c, f.yamada.ID, 0)
		require.ErrorIs(t, err, schedule.ErrNotFound)
		_, err = f.svc.CustomerPastAppointments(f.c, f.yamada.ID, 0)
		require.ErrorIs(t, err, schedule.ErrNotFound)
		_, err = f.svc.CustomerAppointments(f.a, f.yamada.ID, 10_000)
		require.ErrorIs(t, err, schedule.ErrInvalid)
	})
}

// cells is the oracle of CalendarQuery.PerDay: the entries of an
// unlimited calendar put in the cell of each staff member's day they
// touch from from to to (an end at midnight does not reach that day), the
// first perDay of each cell listed with their Day, in the calendar's
// order, and the rest counted.
func cells(t *testing.T, c *schedule.Calendar, from, to schedule.Date, perDay int) ([]schedule.CalendarEntry, []schedule.CalendarMore) {
	t.Helper()
	type cell struct {
		staff uuid.UUID
		day   schedule.Date
	}
	var shown []schedule.CalendarEntry
	n := map[cell]int{}
	for _, e := range c.Entries {
		first, last := schedule.DateOf(e.Start.In(jst(t))), schedule.DateOf(e.End.In(jst(t)))
		if e.End.After(e.Start) {
			last = schedule.DateOf(e.End.Add(-time.Nanosecond).In(jst(t)))
		}
		for day := first; !last.Before(day); day = day.AddDays(1) {
			if day.Before(from) || to.Before(day) {
				continue
			}
			k := cell{e.Staff, day}
			if n[k]++; n[k] <= perDay {
				e.Day = day
				shown = append(shown, e)
			}
		}
	}
	var more []schedule.CalendarMore
	for _, staff := range c.Staff {
		for day := from; !to.Before(day); day = day.AddDays(1) {
			if k := (cell{staff, day}); n[k] > perDay {
				more = append(more, schedule.CalendarMore{Staff: staff, Day: day, Count: n[k] - perDay})
			}
		}
	}
	return shown, more
}

// The per-day limit lists exactly the first entries of each staff
// member's day in the unlimited calendar's order, and counts the rest
// among what the principal sees: entries over several days, one that
// began before the range, one at 23:30 JST on the last day of a month,
// one ending at midnight, records on their responders' and assignees'
// calendars, and entries some principals may not see.
func TestCalendarPerDay(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		appointment := func(start, end string, change func(*schedule.AppointmentInput)) {
			t.Helper()
			in := visit(t, f, start)
			in.End = at(t, end)
			if change != nil {
				change(&in)
			}
			_, err := f.svc.CreateAppointment(f.a, in)
			require.NoError(t, err)
		}
		for _, s := range []string{"2026-12-02 09:00", "2026-12-02 10:00", "2026-12-02 11:00"} {
			appointment(s, s, nil)
		}
		appointment("2026-12-02 10:00", "2026-12-02 10:30", func(in *schedule.AppointmentInput) {
			in.Customer, in.ContactPersons, in.Scope = uuid.Nil, nil, permission.Scope{Kind: permission.ScopeUsers, Targets: []uuid.UUID{f.cID}}
		})
		appointment("2026-12-01 18:00", "2026-12-03 10:00", nil)
		appointment("2026-12-02 00:00", "2026-12-03 00:00", func(in *schedule.AppointmentInput) {
			in.AllDay, in.Staff = true, []uuid.UUID{f.aID, f.bID}
		})
		appointment("2026-11-30 23:30", "2026-11-30 23:59", nil)
		appointment("2026-11-28 10:00", "2026-11-29 12:00", nil)
		appointment("2026-12-04 22:00", "2026-12-05 00:00", nil)
		_, err := f.records.Create(f.admin, contactlog.Entry{Template: "builtin:interview", Customer: f.yamada.ID,
			Responders: []uuid.UUID{f.cID}, ActualAt: at(t, "2026-12-02 10:00")})
		require.NoError(t, err)
		_, err = f.records.Create(f.c, contactlog.Entry{Template: "builtin:interview", Customer: f.sato.ID,
			PlannedAt: at(t, "2026-12-02 16:00")})
		require.NoError(t, err)

		from, to := d("2026-11-29"), d("2026-12-12")
		staff := []uuid.UUID{f.aID, f.bID, f.cID}
		more := map[string]int{}
		for name, ctx := range map[string]context.Context{"a": f.a, "b": f.b, "c": f.c, "admin": f.admin} {
			all, err := f.svc.Calendar(ctx, schedule.CalendarQuery{Staff: staff, From: from, To: to})
			require.NoError(t, err)
			for _, perDay := range []int{1, 2, 3, 100} {
				got, err := f.svc.Calendar(ctx, schedule.CalendarQuery{Staff: staff, From: from, To: to, PerDay: perDay})
				require.NoError(t, err)
				wantEntries, wantMore := cells(t, all, from, to, perDay)
				require.Equal(t, wantEntries, got.Entries, "%s, %d a day", name, perDay)
				require.Equal(t, wantMore, got.More, "%s, %d a day", name, perDay)
				require.Equal(t, all.Holidays, got.Holidays)
				for _, m := range got.More {
					if m.Staff == f.aID && m.Day == d("2026-12-02") {
						more[fmt.Sprint(name, " ", perDay)] = m.Count
					}
				}
			}
		}
		// a's 2 December: the appointment from the 1st, the all-day one,
		// the three visits, the record of a's customer and a's private
		// appointment: b does not see the private one, c sees only it and
		// the record c responded to.
		require.Equal(t, map[string]int{"a 1": 6, "a 2": 5, "a 3": 4, "b 1": 5, "b 2": 4, "b 3": 3, "c 1": 1,
			"admin 1": 6, "admin 2": 5, "admin 3": 4}, more)

		_, err = f.svc.Calendar(f.a, schedule.CalendarQuery{From: from, To: to, PerDay: -1})
		requireField(t, err, "per_day", validation.CodeOutOfRange)
	})
}
