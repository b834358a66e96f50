package date_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/customer/date"
	"github.com/kirokuhq/kiroku/customer/validation"
)

func TestParseEras(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]date.Date{
		"2024-03-15": {2024, 3, 15}, "2024/3/15": {2024, 3, 15}, "S47.3.15": {1972, 3, 15},
		"H1/1/8": {1989, 1, 8}, "平成元年1月8日": {1989, 1, 8}, "昭和６４年１月７日": {1989, 1, 7},
	} {
		got, err := date.Parse(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	_, err := date.Parse("平成1年1月7日")
	require.ErrorIs(t, err, validation.ErrInvalid)
	require.Equal(t, validation.CodeOutsideEra, date.ErrorCode(err))
	_, err = date.Parse("2023-02-29")
	require.Equal(t, validation.CodeBadDate, date.ErrorCode(err))
	_, err = date.Parse("きのう")
	require.Equal(t, validation.CodeFormat, date.ErrorCode(err))
	require.Equal(t, "昭和47年3月15日", date.Date{Year: 1972, Month: 3, Day: 15}.Era())
}

func TestScanAndJSON(t *testing.T) {
	t.Parallel()
	want := date.Date{Year: 1972, Month: time.March, Day: 15}
	jst := time.FixedZone("JST", 9*3600)
	for _, src := range []any{
		time.Date(1972, 3, 15, 0, 0, 0, 0, jst), "1972-03-15", []byte("1972-03-15"),
		"1972-03-15T00:00:00Z", // SQLite may hand back a timestamp
	} {
		var d date.Date
		require.NoError(t, d.Scan(src), "%#v", src)
		require.Equal(t, want, d)
	}
	var d date.Date
	require.Error(t, d.Scan(int64(19720315)))
	require.Error(t, d.Scan("15/03/1972"))

	v, err := want.Value()
	require.NoError(t, err)
	require.Equal(t, "1972-03-15", v)
	require.Equal(t, want.Time(jst), time.Date(1972, 3, 15, 0, 0, 0, 0, jst))
	require.Equal(t, want, date.Of(time.Date(1972, 3, 14, 15, 0, 0, 0, time.UTC).In(jst)))

	b, err := json.Marshal(want)
	require.NoError(t, err)
	require.JSONEq(t, `"1972-03-15"`, string(b))
	require.NoError(t, json.Unmarshal([]byte(`"S47.3.15"`), &d))
	require.Equal(t, want, d)
	require.ErrorIs(t, json.Unmarshal([]byte(`"平成1年1月7日"`), &d), validation.ErrInvalid)
	require.True(t, date.Date{}.IsZero())
	require.False(t, want.IsZero())
}
