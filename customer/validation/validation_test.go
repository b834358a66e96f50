package validation_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/customer/validation"
)

func TestError(t *testing.T) {
	t.Parallel()
	var v validation.Error
	require.NoError(t, v.Err())
	v.Add("family_name", validation.CodeRequired, "")
	v.Add("memo", validation.CodeTooLong, "10000")
	err := fmt.Errorf("customer: create: %w", v.Err())
	require.ErrorIs(t, err, validation.ErrInvalid)
	var ve *validation.Error
	require.True(t, errors.As(err, &ve))
	require.True(t, ve.Has("memo", validation.CodeTooLong))
	require.True(t, ve.Has("memo", ""))
	require.False(t, ve.Has("memo", validation.CodeRequired))
	require.Equal(t, "invalid: family_name: required; memo: too_long (10000)", ve.Error())
}

func TestValidText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s                 string
		single, multiline bool
	}{
		{"", true, true},
		{"山田 太郎 ｶﾀｶﾅ ①㈱", true, true},
		{"一行目\n二行目\r\n\t字下げ", false, true},
		{"NUL\x00", false, false},
		{"bell\a", false, false},
		{"esc\x1b[31m", false, false},
		{"del\x7f", false, false},
		{"c1\u0085", false, false},
		{"invalid \xff\xfe", false, false},
		{"cut \xe5\xb1", false, false},
		{"\u2028 and \u200b are not control characters", true, true},
	} {
		require.Equal(t, tc.single, validation.ValidText(tc.s, false), "single line %q", tc.s)
		require.Equal(t, tc.multiline, validation.ValidText(tc.s, true), "multi-line %q", tc.s)
		var v validation.Error
		require.Equal(t, tc.multiline, v.CheckText("memo", tc.s, true), "%q", tc.s)
		require.Equal(t, !tc.multiline, v.Has("memo", validation.CodeFormat), "%q", tc.s)
	}
}

func TestNilErr(t *testing.T) {
	t.Parallel()
	var v *validation.Error
	require.NoError(t, v.Err())
}

func Example() {
	check := func(name, kana string) error {
		var v validation.Error
		if name == "" {
			v.Add("family_name", validation.CodeRequired, "")
		}
		if len([]rune(kana)) > 5 {
			v.Add("family_kana", validation.CodeTooLong, "5")
		}
		return v.Err()
	}

	err := fmt.Errorf("customer: create: %w", check("", "ヤマダヤマダ"))
	fmt.Println(errors.Is(err, validation.ErrInvalid))
	var ve *validation.Error
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			fmt.Printf("%s %s %q\n", f.Field, f.Code, f.Param)
		}
	}
	fmt.Println(check("山田", "ヤマダ") == nil)
	// Output:
	// true
	// family_name required ""
	// family_kana too_long "5"
	// true
}
