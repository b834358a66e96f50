package schedule

import (
	"fmt"
	"time"
)

// Period names one of the quick ranges of the search forms
// (【先週】【今週】【来週】【先月】【今月】【来月】).
type Period string

// Quick ranges. Weeks run Sunday to Saturday, as the calendars of the
// products Kiroku follows show them; months are calendar months.
const (
	LastWeek  Period = "last_week"  // 先週
	ThisWeek  Period = "this_week"  // 今週
	NextWeek  Period = "next_week"  // 来週
	LastMonth Period = "last_month" // 先月
	ThisMonth Period = "this_month" // 今月
	NextMonth Period = "next_month" // 来月
)

// Range returns the first and last day (both included) of p around now,
// taken in loc (the tenant's time zone): ThisWeek at 2026-12-05 (Saturday)
// is 2026-11-29 – 2026-12-05. An unknown Period fails with ErrInvalid.
func (p Period) Range(now time.Time, loc *time.Location) (from, to Date, err error) {
	today := DateOf(now.In(loc))
	sunday := today.AddDays(-int(today.In(time.UTC).Weekday()))
	first := Date{today.Year, today.Month, 1}
	month := func(n int) (Date, Date) {
		f := DateOf(first.In(time.UTC).AddDate(0, n, 0))
		return f, Date{f.Year, f.Month, daysIn(f.Year, f.Month)}
	}
	switch p {
	case LastWeek:
		return sunday.AddDays(-7), sunday.AddDays(-1), nil
	case ThisWeek:
		return sunday, sunday.AddDays(6), nil
	case NextWeek:
		return sunday.AddDays(7), sunday.AddDays(13), nil
	case LastMonth:
		from, to = month(-1)
	case ThisMonth:
		from, to = month(0)
	case NextMonth:
		from, to = month(1)
	default:
		return Date{}, Date{}, fmt.Errorf("schedule: period %q: %w", p, ErrInvalid)
	}
	return from, to, nil
}
