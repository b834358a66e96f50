package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/internal/kerr"
)

// invalidKeys are refused by every Store before any I/O.
var invalidKeys = []string{
	"",
	"..",
	".",
	"../etc/passwd",
	"a/../b",
	"a/./b",
	"a/..",
	"/etc/passwd",
	"/a",
	"a/",
	"a//b",
	`a\b`,
	`..\..\windows`,
	"c:/windows",
	"C:",
	"A",
	"a b",
	"a\x00b",
	"a\nb",
	"é",
	".hidden",
	"a/.tmp-123",
	"a.",
	"con",
	"nul.txt",
	"a/com1",
	"lpt9.log",
	strings.Repeat("a", MaxKeyLen+1),
}

func TestValidKey(t *testing.T) {
	t.Parallel()
	for _, k := range invalidKeys {
		err := ValidKey(k)
		require.Error(t, err, "key %q", k)
		require.ErrorIs(t, err, kerr.ErrInvalid, "key %q", k)
	}
	for _, k := range []string{
		"a",
		"t/0190a5c4-7b7e-7c3a-9c1e-5b2f3d4e5f60/a/0190a5c4-7b7e-7c3a-9c1e-5b2f3d4e5f61",
		"a/b.thumb.jpg",
		"x_y-z.0",
		"a..b",
		"console",
		"com",
		"com10",
		strings.Repeat("a", MaxKeyLen),
	} {
		require.NoError(t, ValidKey(k), "key %q", k)
	}
}

func TestValidPrefix(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", "a", "a/", "a/b", "a/b/", "a/b.", "t/0190/"} {
		require.NoError(t, ValidPrefix(p), "prefix %q", p)
	}
	for _, p := range []string{"/", "/a", "../", "..", "a/../", "a//", `a\`, "A", ".tmp", "a/.t"} {
		require.ErrorIs(t, ValidPrefix(p), kerr.ErrInvalid, "prefix %q", p)
	}
}

// payload returns n deterministic, incompressible-looking bytes.
func payload(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func readAll(t *testing.T, s Store, key string) []byte {
	t.Helper()
	rc, err := s.Get(t.Context(), key)
	require.NoError(t, err)
	defer func() { require.NoError(t, rc.Close()) }()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return b
}

func listAll(t *testing.T, s Store, prefix string) []string {
	t.Helper()
	var keys []string
	for k, err := range s.List(t.Context(), prefix) {
		require.NoError(t, err)
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// failingReader returns data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// testStore is the conformance suite every Store passes (in the spirit of
// river's riverdrivertest). newStore returns an empty store.
func testStore(t *testing.T, newStore func(t *testing.T) Store) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for _, n := range []int{0, 1, 100, 64<<10 - 1, 64 << 10, 64<<10 + 1, 1<<20 + 7} {
			key := fmt.Sprintf("t/x/a/%d", n)
			data := payload(n)
			size, err := s.Put(t.Context(), key, bytes.NewReader(data))
			require.NoError(t, err)
			require.Equal(t, int64(n), size)
			require.Equal(t, data, readAll(t, s, key), "size %d", n)
		}
	})

	t.Run("Overwrite", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		_, err := s.Put(t.Context(), "k", strings.NewReader("old"))
		require.NoError(t, err)
		_, err = s.Put(t.Context(), "k", strings.NewReader("new!"))
		require.NoError(t, err)
		require.Equal(t, "new!", string(readAll(t, s, "k")))
	})

	t.Run("Missing", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		_, err := s.Get(t.Context(), "no/such")
		require.ErrorIs(t, err, ErrNotFound)
		require.ErrorIs(t, s.Delete(t.Context(), "no/such"), ErrNotFound)

		// A key below an object, and a key that is a "directory".
		_, err = s.Put(t.Context(), "obj", strings.NewReader("x"))
		require.NoError(t, err)
		_, err = s.Get(t.Context(), "obj/below")
		require.ErrorIs(t, err, ErrNotFound)
		_, err = s.Put(t.Context(), "dir/obj", strings.NewReader("x"))
		require.NoError(t, err)
		_, err = s.Get(t.Context(), "dir")
		require.ErrorIs(t, err, ErrNotFound)
		require.ErrorIs(t, s.Delete(t.Context(), "dir"), ErrNotFound)
		require.Equal(t, "x", string(readAll(t, s, "dir/obj")))
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		_, err := s.Put(t.Context(), "a/b", strings.NewReader("x"))
		require.NoError(t, err)
		require.NoError(t, s.Delete(t.Context(), "a/b"))
		_, err = s.Get(t.Context(), "a/b")
		require.ErrorIs(t, err, ErrNotFound)
		require.ErrorIs(t, s.Delete(t.Context(), "a/b"), ErrNotFound)
		require.Empty(t, listAll(t, s, ""))
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for _, k := range invalidKeys {
			_, err := s.Put(t.Context(), k, strings.NewReader("x"))
			require.ErrorIs(t, err, kerr.ErrInvalid, "put %q", k)
			_, err = s.Get(t.Context(), k)
			require.ErrorIs(t, err, kerr.ErrInvalid, "get %q", k)
			require.ErrorIs(t, s.Delete(t.Context(), k), kerr.ErrInvalid, "delete %q", k)
		}
		require.Empty(t, listAll(t, s, ""))
		for _, p := range []string{"../", "/", `a\`} {
			var got error
			for _, err := range s.List(t.Context(), p) {
				got = err
			}
			require.ErrorIs(t, got, kerr.ErrInvalid, "list %q", p)
		}
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for _, k := range []string{"a/b/c", "a/b/d", "a/bc", "ab", "x/y/z", "a/b/e/f"} {
			_, err := s.Put(t.Context(), k, strings.NewReader(k))
			require.NoError(t, err)
		}
		require.Equal(t, []string{"a/b/c", "a/b/d", "a/b/e/f", "a/bc", "ab", "x/y/z"}, listAll(t, s, ""))
		require.Equal(t, []string{"a/b/c", "a/b/d", "a/b/e/f"}, listAll(t, s, "a/b/"))
		require.Equal(t, []string{"a/b/c", "a/b/d", "a/b/e/f", "a/bc"}, listAll(t, s, "a/b"))
		require.Equal(t, []string{"a/b/c", "a/b/d", "a/b/e/f", "a/bc", "ab"}, listAll(t, s, "a"))
		require.Equal(t, []string{"x/y/z"}, listAll(t, s, "x/y/"))
		require.Equal(t, []string{"a/b/c"}, listAll(t, s, "a/b/c"))
		require.Empty(t, listAll(t, s, "zz/"))
		require.Empty(t, listAll(t, s, "a/b/c/"))

		// Stopping early.
		n := 0
		for _, err := range s.List(t.Context(), "") {
			require.NoError(t, err)
			n++
			break
		}
		require.Equal(t, 1, n)
	})

	t.Run("DeleteWhileListing", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		want := map[string]bool{}
		for i := range 30 {
			k := fmt.Sprintf("o/%02d/x", i)
			want[k] = true
			_, err := s.Put(t.Context(), k, strings.NewReader("x"))
			require.NoError(t, err)
		}
		got := map[string]bool{}
		for k, err := range s.List(t.Context(), "o/") {
			require.NoError(t, err)
			got[k] = true
			require.NoError(t, s.Delete(t.Context(), k))
		}
		require.Equal(t, want, got)
		require.Empty(t, listAll(t, s, ""))
	})

	t.Run("FailedPutStoresNothing", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		boom := errors.New("boom")
		_, err := s.Put(t.Context(), "new", &failingReader{data: payload(200 << 10), err: boom})
		require.ErrorIs(t, err, boom)
		_, err = s.Get(t.Context(), "new")
		require.ErrorIs(t, err, ErrNotFound)

		// An existing object survives a failed replacement.
		_, err = s.Put(t.Context(), "old", strings.NewReader("keep me"))
		require.NoError(t, err)
		_, err = s.Put(t.Context(), "old", &failingReader{data: payload(100), err: boom})
		require.ErrorIs(t, err, boom)
		require.Equal(t, "keep me", string(readAll(t, s, "old")))
		require.Equal(t, []string{"old"}, listAll(t, s, ""))
	})

	t.Run("TooLarge", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		const limit = 100 << 10
		_, err := s.Put(t.Context(), "big", Limit(bytes.NewReader(payload(limit+1)), limit))
		var tl *TooLargeError
		require.ErrorAs(t, err, &tl)
		require.Equal(t, int64(limit), tl.Limit)
		require.ErrorIs(t, err, kerr.ErrInvalid)
		_, err = s.Get(t.Context(), "big")
		require.ErrorIs(t, err, ErrNotFound)

		size, err := s.Put(t.Context(), "fits", Limit(bytes.NewReader(payload(limit)), limit))
		require.NoError(t, err)
		require.Equal(t, int64(limit), size)
	})

	t.Run("Cancelled", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := s.Put(ctx, "c", strings.NewReader("x"))
		require.ErrorIs(t, err, context.Canceled)

		// Cancelled in the middle of the upload.
		ctx, cancel = context.WithCancel(t.Context())
		r := &cancelAfter{r: bytes.NewReader(payload(1 << 20)), n: 256 << 10, cancel: cancel}
		_, err = s.Put(ctx, "c", r)
		require.Error(t, err)
		_, err = s.Get(t.Context(), "c")
		require.ErrorIs(t, err, ErrNotFound)
	})

	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		var wg sync.WaitGroup
		errs := make([]error, 16)
		for i := range errs {
			wg.Go(func() {
				data := payload(10<<10 + i)
				_, err := s.Put(t.Context(), fmt.Sprintf("c/%d", i), bytes.NewReader(data))
				if err == nil {
					// Everyone also replaces one shared key.
					_, err = s.Put(t.Context(), "c/shared", bytes.NewReader(data))
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		for i := range errs {
			require.Equal(t, payload(10<<10+i), readAll(t, s, fmt.Sprintf("c/%d", i)))
		}
		shared := readAll(t, s, "c/shared")
		found := false
		for i := range errs {
			found = found || bytes.Equal(shared, payload(10<<10+i))
		}
		require.True(t, found, "shared key holds one complete write")
		require.Len(t, listAll(t, s, "c/"), 17)
	})
}

// cancelAfter cancels a context once n bytes have been read.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
	}
	n, err := c.r.Read(p)
	c.n -= n
	return n, err
}
