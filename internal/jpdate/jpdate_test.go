package jpdate_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/internal/jpdate"
)

func TestParseValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		year  int
		month time.Month
		day   int
	}{
		// Gregorian.
		{"2024-03-15", 2024, time.March, 15},
		{"2024/3/15", 2024, time.March, 15},
		{"2024.3.15", 2024, time.March, 15},
		{"20240315", 2024, time.March, 15},
		{"2024年3月15日", 2024, time.March, 15},
		{"2024年03月05日", 2024, time.March, 5},
		{"２０２４－０３－１５", 2024, time.March, 15},
		{"２０２４／３／１５", 2024, time.March, 15},
		{"２０２４．３．１５", 2024, time.March, 15},
		{"２０２４０３１５", 2024, time.March, 15},
		{"２０２４年３月１５日", 2024, time.March, 15},
		{"  2024-03-15\t", 2024, time.March, 15},
		{"\u30002024/3/15\u3000", 2024, time.March, 15},
		{"2024 / 3 / 15", 2024, time.March, 15},
		{"2024 年 3 月 15 日", 2024, time.March, 15},
		{"2024-02-29", 2024, time.February, 29},
		{"2000-02-29", 2000, time.February, 29},
		{"1800-01-01", 1800, time.January, 1},
		{"9999-12-31", 9999, time.December, 31},
		{"1868-01-24", 1868, time.January, 24},

		// Era, kanji names.
		{"昭和47年3月15日", 1972, time.March, 15},
		{"昭和47/3/15", 1972, time.March, 15},
		{"昭和47-3-15", 1972, time.March, 15},
		{"昭和47.03.15", 1972, time.March, 15},
		{"昭和 47 年 3 月 15 日", 1972, time.March, 15},
		{"昭和４７年３月１５日", 1972, time.March, 15},
		{"平成元年1月8日", 1989, time.January, 8},
		{"平成元/1/8", 1989, time.January, 8},
		{"令和元年5月1日", 2019, time.May, 1},
		{"令和6年1月1日", 2024, time.January, 1},
		{"明治元年1月25日", 1868, time.January, 25},
		{"明治45年7月29日", 1912, time.July, 29},
		{"大正元年7月30日", 1912, time.July, 30},
		{"大正15年12月24日", 1926, time.December, 24},
		{"昭和元年12月25日", 1926, time.December, 25},
		{"昭和64年1月7日", 1989, time.January, 7},
		{"平成31年4月30日", 2019, time.April, 30},
		{"平成12年2月29日", 2000, time.February, 29},

		// Era, abbreviations.
		{"昭47.3.15", 1972, time.March, 15},
		{"平1/1/8", 1989, time.January, 8},
		{"令6年1月1日", 2024, time.January, 1},
		{"明5.12.31", 1872, time.December, 31},
		{"大1.7.30", 1912, time.July, 30},

		// Era, Latin initials.
		{"S47.3.15", 1972, time.March, 15},
		{"s47-3-15", 1972, time.March, 15},
		{"H1/1/8", 1989, time.January, 8},
		{"h01/01/08", 1989, time.January, 8},
		{"R6.1.1", 2024, time.January, 1},
		{"r1.5.1", 2019, time.May, 1},
		{"M45.7.29", 1912, time.July, 29},
		{"T15.12.24", 1926, time.December, 24},
		{"Ｓ４７．３．１５", 1972, time.March, 15},
		{"S 47 . 3 . 15", 1972, time.March, 15},
		{"S47年3月15日", 1972, time.March, 15},
		{"H元.1.8", 1989, time.January, 8},

		// Era ligatures become the era name under NFKC.
		{"㍼47年3月15日", 1972, time.March, 15},
		{"㍻元年1月8日", 1989, time.January, 8},
		{"㋿元年5月1日", 2019, time.May, 1},

		// Large Reiwa years stay within 9999.
		{"令和7981年12月31日", 9999, time.December, 31},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			y, m, d, err := jpdate.Parse(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.year, y)
			require.Equal(t, tt.month, m)
			require.Equal(t, tt.day, d)
		})
	}
}

func TestParseInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want error
	}{
		// Not a date shape.
		{"", jpdate.ErrFormat},
		{"   ", jpdate.ErrFormat},
		{"hello", jpdate.ErrFormat},
		{"2024", jpdate.ErrFormat},
		{"2024-03", jpdate.ErrFormat},
		{"2024年3月", jpdate.ErrFormat},
		{"2024年3月15", jpdate.ErrFormat},
		{"3月15日", jpdate.ErrFormat},
		{"2024-03/15", jpdate.ErrFormat},
		{"2024-03-15-", jpdate.ErrFormat},
		{"2024--03-15", jpdate.ErrFormat},
		{"24-03-15", jpdate.ErrFormat},
		{"02024-03-15", jpdate.ErrFormat},
		{"2024-003-15", jpdate.ErrFormat},
		{"2024-03-015", jpdate.ErrFormat},
		{"2024315", jpdate.ErrFormat},
		{"202403150", jpdate.ErrFormat},
		{"2024 0315", jpdate.ErrFormat},
		{"2024 3 15", jpdate.ErrFormat},
		{"2024-03-15T10:00", jpdate.ErrFormat},
		{"2024-03-15 10:00", jpdate.ErrFormat},
		{"2024ー03ー15", jpdate.ErrFormat},
		{"2024年3月15日生", jpdate.ErrFormat},
		{"15/03/2024", jpdate.ErrFormat},
		{"-2024-03-15", jpdate.ErrFormat},
		{"+2024-03-15", jpdate.ErrFormat},
		{"元年1月1日", jpdate.ErrFormat},
		{"2024元1月1日", jpdate.ErrFormat},
		{"S470315", jpdate.ErrFormat},
		{"S47", jpdate.ErrFormat},
		{"S12345.1.1", jpdate.ErrFormat},
		{"X47.3.15", jpdate.ErrFormat},
		{"SS47.3.15", jpdate.ErrFormat},
		{"昭 和47年3月15日", jpdate.ErrFormat},
		{"昭和-1年3月15日", jpdate.ErrFormat},
		{"昭和47年3月15日 昭和", jpdate.ErrFormat},
		{"慶応4年1月1日", jpdate.ErrFormat},
		{"٢٠٢٤-03-15", jpdate.ErrFormat},

		// No such calendar day, or year out of range.
		{"2023-02-29", jpdate.ErrInvalidDate},
		{"1900-02-29", jpdate.ErrInvalidDate},
		{"2024-04-31", jpdate.ErrInvalidDate},
		{"2024-00-10", jpdate.ErrInvalidDate},
		{"2024-13-01", jpdate.ErrInvalidDate},
		{"2024-01-00", jpdate.ErrInvalidDate},
		{"2024-01-32", jpdate.ErrInvalidDate},
		{"20230229", jpdate.ErrInvalidDate},
		{"0000-01-01", jpdate.ErrInvalidDate},
		{"1799-12-31", jpdate.ErrInvalidDate},
		{"平成31年2月29日", jpdate.ErrInvalidDate},
		{"昭和47年2月30日", jpdate.ErrInvalidDate},
		{"S47.13.1", jpdate.ErrInvalidDate},
		{"令和7982年1月1日", jpdate.ErrInvalidDate},

		// Real day, wrong era.
		{"平成1年1月7日", jpdate.ErrOutsideEra},
		{"平成元年1月7日", jpdate.ErrOutsideEra},
		{"H1.1.1", jpdate.ErrOutsideEra},
		{"昭和64年1月8日", jpdate.ErrOutsideEra},
		{"昭和65年1月1日", jpdate.ErrOutsideEra},
		{"昭和元年12月24日", jpdate.ErrOutsideEra},
		{"平成31年5月1日", jpdate.ErrOutsideEra},
		{"令和元年4月30日", jpdate.ErrOutsideEra},
		{"明治元年1月24日", jpdate.ErrOutsideEra},
		{"明治45年7月30日", jpdate.ErrOutsideEra},
		{"大正元年7月29日", jpdate.ErrOutsideEra},
		{"大正15年12月25日", jpdate.ErrOutsideEra},
		{"昭和0年1月1日", jpdate.ErrOutsideEra},
		{"R0.5.1", jpdate.ErrOutsideEra},
		{"S00.1.1", jpdate.ErrOutsideEra},
		{"平成100年1月1日", jpdate.ErrOutsideEra},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			y, m, d, err := jpdate.Parse(tt.in)
			require.ErrorIs(t, err, tt.want)
			for _, other := range []error{jpdate.ErrFormat, jpdate.ErrInvalidDate, jpdate.ErrOutsideEra} {
				if other != tt.want {
					require.NotErrorIs(t, err, other)
				}
			}
			require.Contains(t, err.Error(), fmt.Sprintf("jpdate: %q: ", tt.in))
			require.Zero(t, y)
			require.Zero(t, m)
			require.Zero(t, d)
		})
	}
}

func TestFormatEra(t *testing.T) {
	t.Parallel()
	tests := []struct {
		year  int
		month time.Month
		day   int
		want  string
	}{
		{1972, time.March, 15, "昭和47年3月15日"},
		{1989, time.January, 7, "昭和64年1月7日"},
		{1989, time.January, 8, "平成元年1月8日"},
		{2019, time.April, 30, "平成31年4月30日"},
		{2019, time.May, 1, "令和元年5月1日"},
		{2024, time.January, 1, "令和6年1月1日"},
		{1926, time.December, 24, "大正15年12月24日"},
		{1926, time.December, 25, "昭和元年12月25日"},
		{1912, time.July, 29, "明治45年7月29日"},
		{1912, time.July, 30, "大正元年7月30日"},
		{1868, time.January, 25, "明治元年1月25日"},
		{1868, time.January, 24, "1868年1月24日"},
		{1800, time.January, 1, "1800年1月1日"},
		{9999, time.December, 31, "令和7981年12月31日"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, jpdate.FormatEra(tt.year, tt.month, tt.day))
		})
	}
}

// TestRoundTripAllDays checks every day from 1800 to 2100: both the era form
// and the ISO form parse back to the same date.
func TestRoundTripAllDays(t *testing.T) {
	t.Parallel()
	end := time.Date(2101, time.January, 1, 0, 0, 0, 0, time.UTC)
	for d := time.Date(1800, time.January, 1, 0, 0, 0, 0, time.UTC); d.Before(end); d = d.AddDate(0, 0, 1) {
		for _, s := range []string{
			jpdate.FormatEra(d.Year(), d.Month(), d.Day()),
			d.Format("2006-01-02"),
			d.Format("20060102"),
			d.Format("2006/1/2"),
		} {
			y, m, dd, err := jpdate.Parse(s)
			if err != nil || y != d.Year() || m != d.Month() || dd != d.Day() {
				t.Fatalf("Parse(%q) = %d, %v, %d, %v; want %s", s, y, m, dd, err, d.Format("2006-01-02"))
			}
		}
	}
}

func TestErrorsAreDistinct(t *testing.T) {
	t.Parallel()
	errs := []error{jpdate.ErrFormat, jpdate.ErrInvalidDate, jpdate.ErrOutsideEra}
	for i, a := range errs {
		for j, b := range errs {
			require.Equal(t, i == j, errors.Is(a, b))
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"2024-03-15", "20240315", "2024年3月15日", "２０２４／３／１５",
		"昭和47年3月15日", "S47.3.15", "s47-3-15", "H1/1/8", "平成元年1月8日",
		"R6.1.1", "令和元年5月1日", "昭47.3.15", "平1/1/8", "㍻元年1月8日",
		"昭和64年1月7日", "昭和64年1月8日", "平成1年1月7日", "平成31年4月30日",
		"平成31年5月1日", "令和元年4月30日", "明治元年1月25日", "2023-02-29",
		"1799-12-31", "9999-12-31", "令和7981年12月31日", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		y, m, d, err := jpdate.Parse(s)
		if err != nil {
			n := 0
			for _, e := range []error{jpdate.ErrFormat, jpdate.ErrInvalidDate, jpdate.ErrOutsideEra} {
				if errors.Is(err, e) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("Parse(%q) error %v wraps %d sentinels, want 1", s, err, n)
			}
			return
		}
		for _, back := range []string{
			jpdate.FormatEra(y, m, d),
			fmt.Sprintf("%04d-%02d-%02d", y, m, d),
		} {
			y2, m2, d2, err := jpdate.Parse(back)
			if err != nil || y2 != y || m2 != m || d2 != d {
				t.Fatalf("Parse(%q) = %04d-%02d-%02d, but Parse(%q) = %04d-%02d-%02d, %v",
					s, y, m, d, back, y2, m2, d2, err)
			}
		}
	})
}
