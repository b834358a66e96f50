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
