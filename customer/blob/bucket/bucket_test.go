package bucket

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The Store itself is tested against blob's conformance suite in
// customer/blob/bucket_test.go.

func TestOptionsDefaults(t *testing.T) {
	t.Parallel()
	o := (*Options)(nil).withDefaults()
	require.Equal(t, Options{BufferSize: 5 << 20, MaxConcurrency: 1}, o)
	o = (&Options{BufferSize: 8 << 20, MaxConcurrency: 3}).withDefaults()
	require.Equal(t, Options{BufferSize: 8 << 20, MaxConcurrency: 3}, o)
}
