package blob

import (
	"bytes"
	"crypto/sha256"
	"hash"
	"io"
	"runtime"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/internal/kerr"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func newEncrypted(t *testing.T, inner Store, key []byte, previous ...[]byte) *Encrypted {
	t.Helper()
	e, err := NewEncrypted(inner, key, previous...)
	require.NoError(t, err)
	return e
}

func TestEncrypted(t *testing.T) {
	t.Parallel()
	testStore(t, func(t *testing.T) Store { return newEncrypted(t, newLocal(t), testKey(1)) })
}

func TestEncryptedBytesAtRest(t *testing.T) {
	t.Parallel()
	inner := newLocal(t)
	e := newEncrypted(t, inner, testKey(1))
	plain := []byte(strings.Repeat("山田様 面談メモ: 来週見積もり提出。", 5000))
	size, err := e.Put(t.Context(), "memo", bytes.NewReader(plain))
	require.NoError(t, err)
	require.Equal(t, int64(len(plain)), size)

	raw := readAll(t, inner, "memo")
	require.True(t, bytes.HasPrefix(raw, []byte("age-encryption.org/v1\n-> mlkem768x25519 ")), "an age file to a hybrid recipient")
	require.NotContains(t, string(raw), "山田")
	require.False(t, bytes.Contains(raw, plain[:64]))
	// Header about 1.6 KiB, then 16 bytes per 64 KiB chunk.
	overhead := len(raw) - len(plain)
	require.Greater(t, overhead, 1000)
	require.Less(t, overhead, 2500)

	require.Equal(t, plain, readAll(t, e, "memo"))

	// The same plaintext encrypts differently every time (fresh file key).
	_, err = e.Put(t.Context(), "memo2", bytes.NewReader(plain))
	require.NoError(t, err)
	require.NotEqual(t, raw, readAll(t, inner, "memo2"))
}

func TestEncryptedWrongKey(t *testing.T) {
	t.Parallel()
	inner := newLocal(t)
	_, err := newEncrypted(t, inner, testKey(1)).Put(t.Context(), "k", strings.NewReader("secret"))
	require.NoError(t, err)

	_, err = newEncrypted(t, inner, testKey(2)).Get(t.Context(), "k")
	require.ErrorIs(t, err, ErrWrongKey)
	require.Contains(t, err.Error(), "encrypted with a key that is not configured")

	// Rotation: the old key as a previous key still opens old objects, and
	// new objects use the new key only.
	rotated := newEncrypted(t, inner, testKey(2), testKey(1))
	require.Equal(t, "secret", string(readAll(t, rotated, "k")))
	_, err = rotated.Put(t.Context(), "k2", strings.NewReader("new"))
	require.NoError(t, err)
	_, err = newEncrypted(t, inner, testKey(1)).Get(t.Context(), "k2")
	require.ErrorIs(t, err, ErrWrongKey)
	require.Equal(t, "new", string(readAll(t, newEncrypted(t, inner, testKey(2)), "k2")))
}

func TestEncryptedCorrupt(t *testing.T) {
	t.Parallel()
	inner := newLocal(t)
	e := newEncrypted(t, inner, testKey(1))

	// Stored before encryption was enabled.
	_, err := inner.Put(t.Context(), "plain", strings.NewReader("not encrypted"))
	require.NoError(t, err)
	_, err = e.Get(t.Context(), "plain")
	require.ErrorIs(t, err, ErrCorrupt)

	plain := payload(200 << 10)
	_, err = e.Put(t.Context(), "obj", bytes.NewReader(plain))
	require.NoError(t, err)
	raw := readAll(t, inner, "obj")

	readBack := func(mut []byte) error {
		_, err := inner.Put(t.Context(), "bad", bytes.NewReader(mut))
		require.NoError(t, err)
		rc, err := e.Get(t.Context(), "bad")
		if err != nil {
			return err
		}
		defer rc.Close()
		_, err = io.Copy(io.Discard, rc)
		return err
	}

	flipped := bytes.Clone(raw)
	flipped[len(flipped)-100] ^= 1 // in the last chunk
	require.ErrorIs(t, readBack(flipped), ErrCorrupt)

	flipped = bytes.Clone(raw)
	flipped[len(flipped)-(150<<10)] ^= 1 // in the first chunk
	require.ErrorIs(t, readBack(flipped), ErrCorrupt)

	require.ErrorIs(t, readBack(raw[:len(raw)-(64<<10)]), ErrCorrupt) // a whole chunk missing
	require.ErrorIs(t, readBack(raw[:len(raw)-1]), ErrCorrupt)
	require.ErrorIs(t, readBack(raw[:30]), ErrCorrupt) // inside the header
	require.NoError(t, readBack(raw))
}

func TestEncryptedMissing(t *testing.T) {
	t.Parallel()
	e := newEncrypted(t, newLocal(t), testKey(1))
	_, err := e.Get(t.Context(), "nope")
	require.ErrorIs(t, err, ErrNotFound)
}

func TestNewEncryptedKeys(t *testing.T) {
	t.Parallel()
	inner := newLocal(t)
	for _, key := range [][]byte{nil, {}, make([]byte, 16), make([]byte, 33), make([]byte, 32)} {
		_, err := NewEncrypted(inner, key)
		require.ErrorIs(t, err, kerr.ErrInvalid, "key of %d bytes", len(key))
	}
	_, err := NewEncrypted(inner, testKey(1), testKey(2)[:31])
	require.ErrorIs(t, err, kerr.ErrInvalid)
	_, err = NewEncrypted(nil, testKey(1))
	require.ErrorIs(t, err, kerr.ErrInvalid)

	// The caller may wipe its key slice afterwards.
	key := testKey(7)
	e := newEncrypted(t, inner, key)
	_, err = e.Put(t.Context(), "k", strings.NewReader("x"))
	require.NoError(t, err)
	clear(key)
	require.Equal(t, "x", string(readAll(t, e, "k")))
}

// An operator can decrypt a stored object with the age tool and the
// identity printed by AgeIdentity, without Kiroku.
func TestAgeIdentityDecryptsWithPlainAge(t *testing.T) {
	t.Parallel()
	inner := newLocal(t)
	e := newEncrypted(t, inner, testKey(9))
	_, err := e.Put(t.Context(), "k", strings.NewReader("recover me"))
	require.NoError(t, err)

	s, err := AgeIdentity(testKey(9))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(s, "AGE-SECRET-KEY-PQ-1"), s)
	ids, err := age.ParseIdentities(strings.NewReader("# kiroku blob key\n" + s + "\n"))
	require.NoError(t, err)

	r, err := age.Decrypt(bytes.NewReader(readAll(t, inner, "k")), ids...)
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, "recover me", string(got))

	// Deterministic: the same key always gives the same identity, and
	// different keys give different identities.
	again, err := AgeIdentity(testKey(9))
	require.NoError(t, err)
	require.Equal(t, s, again)
	other, err := AgeIdentity(testKey(8))
	require.NoError(t, err)
	require.NotEqual(t, s, other)
}

// A 30 MB object streams through Encrypted in both directions with heap
// growth far below its size.
//
// Not parallel on purpose: HeapAlloc is process-wide, and Go runs parallel
// tests only after every sequential test has finished, so this test
// measures alone.
func TestEncryptedStreamsWithBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 60 MB through the disk")
	}
	const (
		size      = 30 << 20
		maxGrowth = 8 << 20
	)
	e := newEncrypted(t, newLocal(t), testKey(3))

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc

	src := &meteredSource{left: size, hash: sha256.New()}
	n, err := e.Put(t.Context(), "big", src)
	require.NoError(t, err)
	require.Equal(t, int64(size), n)
	growth := int64(src.peak) - int64(base)
	t.Logf("heap growth during Put: %d KiB", growth>>10)
	require.Less(t, growth, int64(maxGrowth))

	runtime.GC()
	runtime.ReadMemStats(&ms)
	base = ms.HeapAlloc
	rc, err := e.Get(t.Context(), "big")
	require.NoError(t, err)
	sink := &meteredSink{hash: sha256.New()}
	copied, err := io.CopyBuffer(sink, rc, make([]byte, 32<<10))
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.Equal(t, int64(size), copied)
	growth = int64(sink.peak) - int64(base)
	t.Logf("heap growth during Get: %d KiB", growth>>10)
	require.Less(t, growth, int64(maxGrowth))
	require.Equal(t, src.hash.Sum(nil), sink.hash.Sum(nil))
}

// meteredSource produces deterministic bytes and samples the heap every MiB.
type meteredSource struct {
	left  int
	x     uint32
	next  int
	peak  uint64
	hash  hash.Hash
	total int
}

func (m *meteredSource) Read(p []byte) (int, error) {
	if m.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(len(p), m.left)]
	if m.x == 0 {
		m.x = 2463534242
	}
	for i := range p {
		m.x ^= m.x << 13
		m.x ^= m.x >> 17
		m.x ^= m.x << 5
		p[i] = byte(m.x)
	}
	m.left -= len(p)
	m.total += len(p)
	_, _ = m.hash.Write(p)
	if m.total >= m.next {
		m.next += 1 << 20
		m.peak = max(m.peak, heapAlloc())
	}
	return len(p), nil
}

// meteredSink hashes what it receives and samples the heap every MiB.
type meteredSink struct {
	total int
	next  int
	peak  uint64
	hash  hash.Hash
}

func (m *meteredSink) Write(p []byte) (int, error) {
	_, _ = m.hash.Write(p)
	m.total += len(p)
	if m.total >= m.next {
		m.next += 1 << 20
		m.peak = max(m.peak, heapAlloc())
	}
	return len(p), nil
}

func heapAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
