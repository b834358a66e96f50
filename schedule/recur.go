package schedule

import "time"

// Unit is the unit of an alert's frequency.
type Unit string

// Frequency units.
const (
	Days   Unit = "day"   // every N days
	Weeks  Unit = "week"  // every N weeks (7·N days)
	Months Unit = "month" // every N months, on the start's day (clamped)
)

// Limits of an alert definition.
const (
	// MaxCount caps Alert.Count.
	MaxCount = 1000
	// MaxEvery caps Alert.Every.
	MaxEvery = 999
	// MaxTitleLen caps alert and notice titles, in runes.
	MaxTitleLen = 200
)

// OccurrenceDate returns the day of occurrence k (1-based) of a recurrence
// starting on start, every `every` units: start + (k−1)·every units.
// Monthly steps keep the start's day of month and clamp it to the month's
// last day, each computed from the start (not from the previous
// occurrence): a start of Jan 31 every month gives Feb 28 (29 in leap
// years), then Mar 31.
func OccurrenceDate(start Date, every int, unit Unit, k int) Date {
	n := (k - 1) * every
	switch unit {
	case Weeks:
		return start.AddDays(7 * n)
	case Months:
		first := time.Date(start.Year, start.Month+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
		y, m := first.Year(), first.Month()
		return Date{y, m, min(start.Day, daysIn(y, m))}
	}
	return start.AddDays(n)
}

// OccurrenceDates returns the days of occurrences 1..count.
func OccurrenceDates(start Date, every int, unit Unit, count int) []Date {
	out := make([]Date, count)
	for k := 1; k <= count; k++ {
		out[k-1] = OccurrenceDate(start, every, unit, k)
	}
	return out
}
