package blob

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/internal/kerr"
)

func TestLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		size     int
		limit    int64
		tooLarge bool
	}{
		{"empty", 0, 0, false},
		{"empty with limit", 0, 10, false},
		{"under", 9, 10, false},
		{"exactly", 10, 10, false},
		{"one over", 11, 10, true},
		{"far over", 1 << 20, 10, true},
		{"zero limit", 1, 0, true},
		{"negative limit", 1, -5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data := payload(tc.size)
			for _, r := range []io.Reader{
				bytes.NewReader(data),
				iotest.OneByteReader(bytes.NewReader(data)),
				iotest.HalfReader(bytes.NewReader(data)),
			} {
				got, err := io.ReadAll(Limit(r, tc.limit))
				if !tc.tooLarge {
					require.NoError(t, err)
					require.Equal(t, data, got)
					continue
				}
				var tl *TooLargeError
				require.ErrorAs(t, err, &tl)
				require.Equal(t, max(tc.limit, 0), tl.Limit)
				require.ErrorIs(t, err, kerr.ErrInvalid)
				require.Equal(t, data[:max(tc.limit, 0)], got)
			}
		})
	}
}

func TestLimitReadsAtMostOneExtraByte(t *testing.T) {
	t.Parallel()
	src := bytes.NewReader(payload(1 << 20))
	_, err := io.Copy(io.Discard, Limit(src, 1000))
	require.Error(t, err)
	require.Equal(t, int64(1<<20-1001), int64(src.Len()))
}

func TestLimitPassesErrorsAndIsSticky(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	_, err := io.ReadAll(Limit(iotest.ErrReader(boom), 10))
	require.ErrorIs(t, err, boom)

	r := Limit(bytes.NewReader(payload(20)), 5)
	_, err = io.ReadAll(r)
	require.Error(t, err)
	n, err2 := r.Read(make([]byte, 10))
	require.Zero(t, n)
	require.Equal(t, err, err2)
	require.Equal(t, "blob: larger than 5 bytes", err.Error())
}
