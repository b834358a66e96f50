package blob

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
)

func TestBucketMem(t *testing.T) {
	t.Parallel()
	testStore(t, func(t *testing.T) Store {
		b := memblob.OpenBucket(nil)
		t.Cleanup(func() { _ = b.Close() })
		return NewBucket(b, nil)
	})
}

func TestBucketFile(t *testing.T) {
	t.Parallel()
	testStore(t, func(t *testing.T) Store {
		b, err := fileblob.OpenBucket(t.TempDir(), nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = b.Close() })
		return NewBucket(b, nil)
	})
}

func TestBucketEncrypted(t *testing.T) {
	t.Parallel()
	testStore(t, func(t *testing.T) Store {
		b := memblob.OpenBucket(nil)
		t.Cleanup(func() { _ = b.Close() })
		return newEncrypted(t, NewBucket(b, nil), testKey(4))
	})
}

func TestBucketObjectsAreOpaque(t *testing.T) {
	t.Parallel()
	b := memblob.OpenBucket(nil)
	t.Cleanup(func() { _ = b.Close() })
	s := NewBucket(b, &BucketOptions{BufferSize: 1 << 20, MaxConcurrency: 2})
	html := []byte("<!DOCTYPE html><script>alert(1)</script>")
	_, err := s.Put(t.Context(), "x", bytes.NewReader(html))
	require.NoError(t, err)
	attrs, err := b.Attributes(t.Context(), "x")
	require.NoError(t, err)
	require.Equal(t, "application/octet-stream", attrs.ContentType)
}

// Objects written to the bucket by something else, under names that are
// not keys, are not listed.
func TestBucketListSkipsForeignNames(t *testing.T) {
	t.Parallel()
	b := memblob.OpenBucket(nil)
	t.Cleanup(func() { _ = b.Close() })
	for _, k := range []string{"a/ok", "a/Upper", "a/../x", "a//y"} {
		require.NoError(t, b.WriteAll(t.Context(), k, []byte("x"), nil))
	}
	require.Equal(t, []string{"a/ok"}, listAll(t, NewBucket(b, nil), ""))
}

func TestBucketOptionsDefaults(t *testing.T) {
	t.Parallel()
	o := (*BucketOptions)(nil).withDefaults()
	require.Equal(t, BucketOptions{BufferSize: 5 << 20, MaxConcurrency: 1}, o)
	o = (&BucketOptions{BufferSize: 8 << 20, MaxConcurrency: 3}).withDefaults()
	require.Equal(t, BucketOptions{BufferSize: 8 << 20, MaxConcurrency: 3}, o)
}
