package blob

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"

	"filippo.io/age"
)

// KeySize is the length in bytes of an encryption key for NewEncrypted.
const KeySize = 32

// Errors returned (wrapped) by Encrypted.Get and by reading what it returns.
var (
	// ErrWrongKey: the object is an age file, but neither the current key
	// nor any previous key given to NewEncrypted can open it. Usually a
	// configuration mistake (a rotated key dropped from the previous keys,
	// or a store shared by two installations); never the user's fault.
	ErrWrongKey = errors.New("object was encrypted with a key that is not configured")
	// ErrCorrupt: the object is not an age file (for example, it was stored
	// before encryption was enabled), or its bytes were altered or
	// truncated. age authenticates every 64 KiB chunk, so damage is
	// reported before any altered plaintext is returned.
	ErrCorrupt = errors.New("object is damaged or not encrypted")
)

// hkdfInfo separates the age identity derived from a configured key from any
// other use of the same key. Changing it makes every stored object
// unreadable: it is part of the storage format, which is why it still names
// the package's former path.
const hkdfInfo = "kiroku/internal/blob: age MLKEM768-X25519 identity v1"

// Encrypted is a Store that encrypts objects at rest with age before
// handing them to an inner Store, and decrypts them when read. Keys and
// listings pass through unchanged (keys are not secret: they are random
// identifiers). An object at rest is its plaintext plus about 1.6 KiB (age
// header and nonce) plus 16 bytes per 64 KiB chunk.
//
// # Key handling
//
// The configured key is 32 random bytes (for example 64 hex digits in the
// server's configuration, generated with `openssl rand -hex 32`), kept like
// a database password: outside the database and outside the store it
// protects. Encrypted does not keep it: NewEncrypted derives a seed with
// HKDF-SHA256 (info "kiroku/internal/blob: age MLKEM768-X25519 identity
// v1") and turns the seed into an age hybrid post-quantum identity
// (ML-KEM-768 + X25519, age's "AGE-SECRET-KEY-PQ-1…" keys). Every Put
// encrypts to that identity's recipient: age picks a fresh random 128-bit
// file key per object, wraps it for the recipient in the header and
// encrypts the payload with ChaCha20-Poly1305 in 64 KiB chunks. Nothing
// secret is stored with the object.
//
// Why this design:
//   - Standard format, standard tools. A stored object is an ordinary age
//     file. AgeIdentity prints the identity, so an operator can decrypt a
//     backup with the age command (v1.3 or later: `age -d -i key.txt`)
//     without Kiroku.
//   - Streaming and authenticated in both directions, with no nonce or key
//     management of our own: each object has its own file key.
//   - No passphrase KDF (age's scrypt recipient would cost tens of
//     milliseconds of CPU per object by design).
//   - Post-quantum: attachments (customer records) are kept for years, and
//     anyone who copies a bucket today could decrypt classic X25519
//     stanzas with a future quantum computer. The hybrid recipient costs
//     about 1 KiB and tens of microseconds per object.
//
// # Rotation
//
// Pass the new key as key and the old ones as previous: new objects use the
// new key, old objects stay readable. Re-encrypting old objects (Get and Put
// each key listed by List) lets the old key be dropped afterwards. A key
// that is lost makes its objects unrecoverable: back keys up separately
// from the store.
type Encrypted struct {
	inner      Store
	recipient  age.Recipient
	identities []age.Identity
}

var _ Store = (*Encrypted)(nil)

// NewEncrypted returns a Store that encrypts into inner with key, a
// KeySize-byte secret from configuration. Objects written with any of the
// previous keys stay readable; new objects always use key. An empty,
// short, long or all-zero key is refused with an error matching ErrInvalid.
func NewEncrypted(inner Store, key []byte, previous ...[]byte) (*Encrypted, error) {
	if inner == nil {
		return nil, fmt.Errorf("blob: encrypted: nil inner store: %w", ErrInvalid)
	}
	id, err := hybridIdentity(key)
	if err != nil {
		return nil, err
	}
	e := &Encrypted{inner: inner, recipient: id.Recipient(), identities: []age.Identity{id}}
	for i, k := range previous {
		pid, err := hybridIdentity(k)
		if err != nil {
			return nil, fmt.Errorf("blob: encrypted: previous key %d: %w", i, err)
		}
		e.identities = append(e.identities, pid)
	}
	return e, nil
}

// AgeIdentity returns the age identity ("AGE-SECRET-KEY-PQ-1…") that
// Encrypted derives from key. It is as secret as key. Written to a file, it
// decrypts any stored object with the age command:
//
//	age -d -i identity.txt object > plaintext
func AgeIdentity(key []byte) (string, error) {
	seed, err := deriveSeed(key)
	if err != nil {
		return "", err
	}
	return bech32Encode("AGE-SECRET-KEY-PQ-", seed), nil
}

func deriveSeed(key []byte) ([]byte, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("blob: encryption key must be %d bytes, got %d: %w", KeySize, len(key), ErrInvalid)
	}
	zero := true
	for _, b := range key {
		zero = zero && b == 0
	}
	if zero {
		return nil, fmt.Errorf("blob: encryption key is all zeros: %w", ErrInvalid)
	}
	return hkdf.Key(sha256.New, key, nil, hkdfInfo, 32)
}

func hybridIdentity(key []byte) (*age.HybridIdentity, error) {
	s, err := AgeIdentity(key)
	if err != nil {
		return nil, err
	}
	id, err := age.ParseHybridIdentity(s)
	if err != nil {
		return nil, fmt.Errorf("blob: derive age identity: %w", err)
	}
	return id, nil
}

// Put implements Store. It returns the plaintext size.
func (e *Encrypted) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := ValidKey(key); err != nil {
		return 0, err
	}
	cr := &CountingReader{R: r}
	er, err := age.EncryptReader(cr, e.recipient)
	if err != nil {
		return 0, fmt.Errorf("blob: encrypt %s: %w", key, err)
	}
	if _, err := e.inner.Put(ctx, key, er); err != nil {
		return cr.N, err
	}
	return cr.N, nil
}

// Get implements Store. The header is checked before Get returns (so a
// wrong key is reported here); payload damage is reported by Read.
func (e *Encrypted) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := e.inner.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	src := &trackingReader{r: rc}
	pr, err := age.Decrypt(src, e.identities...)
	if err != nil {
		_ = rc.Close()
		var nomatch *age.NoIdentityMatchError
		switch {
		case errors.As(err, &nomatch):
			return nil, fmt.Errorf("blob: get %s: %w", key, ErrWrongKey)
		case src.err != nil:
			return nil, fmt.Errorf("blob: get %s: %w", key, src.err)
		default:
			return nil, fmt.Errorf("blob: get %s: %w: %v", key, ErrCorrupt, err)
		}
	}
	return &decryptReader{key: key, r: pr, src: src, c: rc}, nil
}

// Delete implements Store.
func (e *Encrypted) Delete(ctx context.Context, key string) error {
	return e.inner.Delete(ctx, key)
}

// List implements Store.
func (e *Encrypted) List(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return e.inner.List(ctx, prefix)
}

// trackingReader remembers the first error (other than io.EOF) of the inner
// reader, to tell I/O errors from authentication failures.
type trackingReader struct {
	r   io.Reader
	err error
}

func (t *trackingReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF && t.err == nil {
		t.err = err
	}
	return n, err
}

type decryptReader struct {
	key string
	r   io.Reader
	src *trackingReader
	c   io.Closer
}

func (d *decryptReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err == nil || err == io.EOF {
		return n, err
	}
	if d.src.err != nil {
		return n, fmt.Errorf("blob: get %s: %w", d.key, d.src.err)
	}
	return n, fmt.Errorf("blob: get %s: %w: %v", d.key, ErrCorrupt, err)
}

func (d *decryptReader) Close() error { return d.c.Close() }

// bech32Encode encodes data under the human-readable part hrp as BIP 173
// Bech32 without the 90-character limit (age keys are longer), in upper
// case because hrp is. It exists because age accepts identities only as
// strings.
func bech32Encode(hrp string, data []byte) string {
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	// Regroup 8-bit bytes into 5-bit values, padding the last one.
	var values []byte
	acc, bits := uint32(0), uint(0)
	for _, b := range data {
		acc = acc<<8 | uint32(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			values = append(values, byte(acc>>bits)&31)
		}
	}
	if bits > 0 {
		values = append(values, byte(acc<<(5-bits))&31)
	}
	lower := strings.ToLower(hrp)
	var exp []byte
	for i := 0; i < len(lower); i++ {
		exp = append(exp, lower[i]>>5)
	}
	exp = append(exp, 0)
	for i := 0; i < len(lower); i++ {
		exp = append(exp, lower[i]&31)
	}
	exp = append(exp, values...)
	exp = append(exp, 0, 0, 0, 0, 0, 0)
	mod := bech32Polymod(exp) ^ 1
	var sb strings.Builder
	sb.WriteString(lower)
	sb.WriteByte('1')
	for _, v := range values {
		sb.WriteByte(charset[v])
	}
	for i := range 6 {
		sb.WriteByte(charset[(mod>>(5*(5-i)))&31])
	}
	return strings.ToUpper(sb.String())
}

func bech32Polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := range 5 {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}
