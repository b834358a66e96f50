package customer

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/internal/csvio"
)

// The public encoding names are the ones csvio.ByName knows, so every
// engine that takes a customer.Encoding maps it the same way.
func TestEncodingNames(t *testing.T) {
	t.Parallel()
	for e, want := range map[Encoding]csvio.Encoding{"": csvio.UTF8BOM, UTF8BOM: csvio.UTF8BOM, ShiftJIS: csvio.ShiftJIS, UTF8: csvio.UTF8} {
		got, err := e.csvio()
		require.NoError(t, err, e)
		require.Equal(t, want, got, e)
	}
	_, err := Encoding("latin1").csvio()
	require.ErrorIs(t, err, ErrInvalid)
}
