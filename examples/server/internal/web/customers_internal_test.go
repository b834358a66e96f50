package web

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/customer"
)

// TestTotalText shows an exact total as it is, an estimate as about so
// many and a lower bound as so many or more.
func TestTotalText(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		n    int
		kind customer.TotalKind
		want string
	}{
		{24, customer.TotalExact, "24件"},
		{0, customer.TotalExact, "0件"},
		{123456, customer.TotalEstimate, "約123456件"},
		{1001, customer.TotalAtLeast, "1001件以上"},
		{-1, "", ""},
	} {
		require.Equal(t, c.want, totalText(c.n, c.kind), "%d %q", c.n, c.kind)
	}
}
