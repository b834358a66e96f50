package report

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// summarySpans reads from the hour rows the UTC days cut by a bound and
// from the day rows the others, covering [from, to) once.
func TestSummarySpans(t *testing.T) {
	t.Parallel()
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	require.NoError(t, err)
	utc := func(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 0, 0, 0, time.UTC) }
	months := func(from, to time.Time, loc *time.Location) []time.Time {
		bounds := []time.Time{from, to}
		for _, p := range Periods(ByMonth, from, to, loc, 100) {
			bounds = append(bounds, p.End)
		}
		return bounds
	}
	jstFrom, jstTo := time.Date(2026, 2, 1, 0, 0, 0, 0, tokyo), time.Date(2026, 5, 1, 0, 0, 0, 0, tokyo)
	for _, c := range []struct {
		name        string
		from, to    time.Time
		bounds      []time.Time
		hours, days []span
	}{{
		name: "months in Asia/Tokyo: the days of 15:00 UTC from hours",
		from: jstFrom, to: jstTo, bounds: months(jstFrom, jstTo, tokyo),
		hours: []span{{utc(1, 31, 15), utc(2, 1, 0)}, {utc(2, 28, 0), utc(3, 1, 0)}, {utc(3, 31, 0), utc(4, 1, 0)}, {utc(4, 30, 0), utc(4, 30, 15)}},
		days:  []span{{utc(2, 1, 0), utc(2, 28, 0)}, {utc(3, 1, 0), utc(3, 31, 0)}, {utc(4, 1, 0), utc(4, 30, 0)}},
	}, {
		name: "months in UTC: days only",
		from: utc(2, 1, 0), to: utc(5, 1, 0), bounds: months(utc(2, 1, 0), utc(5, 1, 0), time.UTC),
		days: []span{{utc(2, 1, 0), utc(5, 1, 0)}},
	}, {
		name: "days in Asia/Tokyo: every day is cut, one span of hours",
		from: jstFrom, to: time.Date(2026, 2, 4, 0, 0, 0, 0, tokyo),
		bounds: []time.Time{jstFrom, time.Date(2026, 2, 2, 0, 0, 0, 0, tokyo), time.Date(2026, 2, 3, 0, 0, 0, 0, tokyo), time.Date(2026, 2, 4, 0, 0, 0, 0, tokyo)},
		hours:  []span{{utc(1, 31, 15), utc(2, 3, 15)}},
	}, {
		name: "within one day",
		from: utc(3, 5, 2), to: utc(3, 5, 7), bounds: []time.Time{utc(3, 5, 2), utc(3, 5, 7)},
		hours: []span{{utc(3, 5, 2), utc(3, 5, 7)}},
	}, {
		name: "unbounded",
		days: []span{{}},
	}, {
		name: "from only, on an hour",
		from: utc(3, 5, 2), bounds: []time.Time{utc(3, 5, 2), {}},
		hours: []span{{utc(3, 5, 2), utc(3, 6, 0)}},
		days:  []span{{utc(3, 6, 0), time.Time{}}},
	}, {
		name: "to only, adjacent cut days merged",
		to:   utc(3, 5, 2), bounds: []time.Time{{}, utc(3, 5, 2), utc(3, 4, 9)},
		hours: []span{{utc(3, 4, 0), utc(3, 5, 2)}},
		days:  []span{{time.Time{}, utc(3, 4, 0)}},
	}} {
		hours, days := summarySpans(c.from, c.to, c.bounds)
		require.Equal(t, c.hours, inUTC(hours), c.name)
		require.Equal(t, c.days, inUTC(days), c.name)
	}
}

func inUTC(spans []span) []span {
	for i, s := range spans {
		if !s.from.IsZero() {
			spans[i].from = s.from.UTC()
		}
		if !s.to.IsZero() {
			spans[i].to = s.to.UTC()
		}
	}
	return spans
}
