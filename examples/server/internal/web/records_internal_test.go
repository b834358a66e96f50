package web

import (
	"mime"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestContentDispositionRoundTrips(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"見積書 (最終).pdf", `a"b;c\d%e'f.mp3`, "plain.wav", "ﾊﾝｶｸ・全角　空白.m4a"} {
		h := contentDisposition("attachment", name)
		kind, params, err := mime.ParseMediaType(h)
		require.NoError(t, err, h)
		require.Equal(t, "attachment", kind)
		require.Equal(t, name, params["filename"], "filename* wins and decodes to the name: %s", h)
	}
	require.Equal(t, "1,234,567", groupDigits(1234567))
	require.Equal(t, "-1,000", groupDigits(-1000))
	require.Equal(t, "999", groupDigits(999))
}
