package kerr

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidationError(t *testing.T) {
	t.Parallel()
	var v ValidationError
	require.NoError(t, v.Err())
	v.Add("family_name", CodeRequired, "")
	v.Add("memo", CodeTooLong, "10000")
	err := fmt.Errorf("customer: create: %w", v.Err())
	require.ErrorIs(t, err, ErrInvalid)
	var ve *ValidationError
	require.True(t, errors.As(err, &ve))
	require.True(t, ve.Has("memo", CodeTooLong))
	require.False(t, ve.Has("memo", CodeRequired))
	require.Equal(t, "invalid: family_name: required; memo: too_long (10000)", ve.Error())
}
