package web

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGroupDigits(t *testing.T) {
	t.Parallel()
	require.Equal(t, "1,234,567", groupDigits(1234567))
	require.Equal(t, "-1,000", groupDigits(-1000))
	require.Equal(t, "999", groupDigits(999))
}
