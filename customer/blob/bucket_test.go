package blob_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	gcblob "gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"

	"github.com/kirokuhq/kiroku/customer/blob"
	"github.com/kirokuhq/kiroku/customer/blob/bucket"
)

// These tests run bucket.Store through blob's conformance suite, which is
// only reachable from this directory.

func newBucketStore(t *testing.T, b *gcblob.Bucket, opts *bucket.Options) *bucket.Store {
	t.Helper()
	t.Cleanup(func() { _ = b.Close() })
	s, err := bucket.New(b, opts)
	require.NoError(t, err)
	return s
}

func TestBucketMem(t *testing.T) {
	t.Parallel()
	blob.TestStore(t, func(t *testing.T) blob.Store {
		return newBucketStore(t, memblob.OpenBucket(nil), nil)
	})
}

func TestBucketFile(t *testing.T) {
	t.Parallel()
	blob.TestStore(t, func(t *testing.T) blob.Store {
		b, err := fileblob.OpenBucket(t.TempDir(), nil)
		require.NoError(t, err)
		return newBucketStore(t, b, nil)
	})
}

func TestBucketEncrypted(t *testing.T) {
	t.Parallel()
	blob.TestStore(t, func(t *testing.T) blob.Store {
		return blob.NewEncryptedT(t, newBucketStore(t, memblob.OpenBucket(nil), nil), blob.TestKey(4))
	})
}

func TestBucketObjectsAreOpaque(t *testing.T) {
	t.Parallel()
	b := memblob.OpenBucket(nil)
	s := newBucketStore(t, b, &bucket.Options{BufferSize: 1 << 20, MaxConcurrency: 2})
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
	for _, k := range []string{"a/ok", "a/Upper", "a/../x", "a//y"} {
		require.NoError(t, b.WriteAll(t.Context(), k, []byte("x"), nil))
	}
	require.Equal(t, []string{"a/ok"}, blob.ListAll(t, newBucketStore(t, b, nil), ""))
}

func TestBucketNil(t *testing.T) {
	t.Parallel()
	_, err := bucket.New(nil, nil)
	require.ErrorIs(t, err, blob.ErrInvalid)
}
