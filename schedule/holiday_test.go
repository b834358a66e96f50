package schedule_test

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/schedule"
)

func TestHolidaysMatchTheCabinetOfficeList(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/holidays_2020_2030.txt")
	require.NoError(t, err)
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			want = append(want, l)
		}
	}
	require.NoError(t, sc.Err())
	require.Len(t, want, 197)
	var got []string
	for _, h := range schedule.Holidays(d("2020-01-01"), d("2030-12-31")) {
		got = append(got, h.Date.String()+" "+h.Name)
	}
	require.Equal(t, want, got)
}

func TestHolidaysRange(t *testing.T) {
	t.Parallel()
	require.Equal(t, []schedule.Holiday{{Date: d("2026-05-03"), Name: "憲法記念日"}, {Date: d("2026-05-04"), Name: "みどりの日"},
		{Date: d("2026-05-05"), Name: "こどもの日"}, {Date: d("2026-05-06"), Name: schedule.HolidaySubstitute}},
		schedule.Holidays(d("2026-05-03"), d("2026-05-06")))
	require.Empty(t, schedule.Holidays(d("2026-05-07"), d("2026-07-19")))
	require.Empty(t, schedule.Holidays(d("2026-05-07"), d("2026-05-01")))
	require.Empty(t, schedule.Holidays(d("1999-01-01"), d("1999-12-31")))
}
