package schedule_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/schedule"
)

func d(s string) schedule.Date {
	v, err := schedule.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestOccurrenceDates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		start string
		every int
		unit  schedule.Unit
		count int
		want  []string
	}{
		{"manual: every 4 months, 4 times", "2022-03-29", 4, schedule.Months, 4, []string{"2022-03-29", "2022-07-29", "2022-11-29", "2023-03-29"}},
		{"count 1", "2026-12-05", 3, schedule.Weeks, 1, []string{"2026-12-05"}},
		{"Jan 31 monthly clamps, from the start", "2023-01-31", 1, schedule.Months, 4, []string{"2023-01-31", "2023-02-28", "2023-03-31", "2023-04-30"}},
		{"leap year February", "2024-01-31", 1, schedule.Months, 3, []string{"2024-01-31", "2024-02-29", "2024-03-31"}},
		{"Feb 29 yearly by 12 months", "2024-02-29", 12, schedule.Months, 5, []string{"2024-02-29", "2025-02-28", "2026-02-28", "2027-02-28", "2028-02-29"}},
		{"days across a year end", "2026-12-30", 2, schedule.Days, 3, []string{"2026-12-30", "2027-01-01", "2027-01-03"}},
		{"weeks", "2026-02-23", 1, schedule.Weeks, 2, []string{"2026-02-23", "2026-03-02"}},
		{"months across a year end", "2026-11-30", 3, schedule.Months, 3, []string{"2026-11-30", "2027-02-28", "2027-05-30"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, x := range schedule.OccurrenceDates(d(tt.start), tt.every, tt.unit, tt.count) {
				got = append(got, x.String())
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestOccurrenceDatesLargeCount(t *testing.T) {
	t.Parallel()
	ds := schedule.OccurrenceDates(d("2000-01-31"), 1, schedule.Months, schedule.MaxCount)
	require.Len(t, ds, schedule.MaxCount)
	require.Equal(t, "2083-04-30", ds[schedule.MaxCount-1].String()) // 999 months after Jan 2000
	require.Equal(t, "2002-01-31", ds[24].String())                  // the day comes back after a short month
	days := schedule.OccurrenceDates(d("2026-01-01"), schedule.MaxEvery, schedule.Days, schedule.MaxCount)
	require.Equal(t, d("2026-01-01").AddDays(999*999), days[schedule.MaxCount-1])
}

// The arithmetic's invariants, for any start, step and unit: occurrences
// strictly increase; a daily or weekly step is exact; a monthly one lands
// exactly (k−1)·N months later on the start's day, or on the month's last
// day when the start's day does not exist there.
func FuzzOccurrenceDate(f *testing.F) {
	f.Add(int64(0), 1, 0, 12)
	f.Add(int64(30), 4, 2, 4)
	f.Add(int64(1154), 1, 2, 40)
	f.Fuzz(func(t *testing.T, offset int64, every, unit, count int) {
		start := schedule.DateOf(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(offset%40000)))
		every = 1 + abs(every)%schedule.MaxEvery
		count = 1 + abs(count)%60
		u := []schedule.Unit{schedule.Days, schedule.Weeks, schedule.Months}[abs(unit)%3]
		ds := schedule.OccurrenceDates(start, every, u, count)
		require.Len(t, ds, count)
		require.Equal(t, start, ds[0])
		for k := 1; k < count; k++ {
			require.True(t, ds[k-1].Before(ds[k]), "%v then %v", ds[k-1], ds[k])
			switch u {
			case schedule.Days:
				require.Equal(t, start.AddDays(k*every), ds[k])
			case schedule.Weeks:
				require.Equal(t, start.AddDays(7*k*every), ds[k])
			case schedule.Months:
				months := (ds[k].Year-start.Year)*12 + int(ds[k].Month-start.Month)
				require.Equal(t, k*every, months)
				last := time.Date(ds[k].Year, ds[k].Month+1, 0, 0, 0, 0, 0, time.UTC).Day()
				require.Equal(t, min(start.Day, last), ds[k].Day)
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func TestPeriodRange(t *testing.T) {
	t.Parallel()
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	require.NoError(t, err)
	// 2026-12-05 23:30 UTC is Sunday 2026-12-06 08:30 in Tokyo.
	now := time.Date(2026, 12, 5, 23, 30, 0, 0, time.UTC)
	tests := []struct {
		period   schedule.Period
		from, to string
	}{
		{schedule.LastWeek, "2026-11-29", "2026-12-05"},
		{schedule.ThisWeek, "2026-12-06", "2026-12-12"},
		{schedule.NextWeek, "2026-12-13", "2026-12-19"},
		{schedule.LastMonth, "2026-11-01", "2026-11-30"},
		{schedule.ThisMonth, "2026-12-01", "2026-12-31"},
		{schedule.NextMonth, "2027-01-01", "2027-01-31"},
	}
	for _, tt := range tests {
		t.Run(string(tt.period), func(t *testing.T) {
			t.Parallel()
			from, to, err := tt.period.Range(now, tokyo)
			require.NoError(t, err)
			require.Equal(t, tt.from, from.String())
			require.Equal(t, tt.to, to.String())
		})
	}
	// In UTC the same instant is still Saturday: this week ends that day.
	_, to, err := schedule.ThisWeek.Range(now, time.UTC)
	require.NoError(t, err)
	require.Equal(t, "2026-12-05", to.String())
	_, _, err = schedule.Period("fortnight").Range(now, tokyo)
	require.ErrorIs(t, err, schedule.ErrInvalid)
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"2023-02-29", "2023-13-01", "20230101", ""} {
		_, err := schedule.ParseDate(s)
		require.ErrorIs(t, err, schedule.ErrInvalid, s)
	}
	var x schedule.Date
	require.NoError(t, x.UnmarshalText([]byte("2024-02-29")))
	b, err := x.MarshalText()
	require.NoError(t, err)
	require.Equal(t, "2024-02-29", string(b))
}
