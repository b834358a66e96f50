package blob

import (
	"context"
	"fmt"
	"io"
	"iter"
	"strings"

	"github.com/kirokuhq/kiroku/internal/kerr"
)

// Re-exported sentinels, so that callers can match errors from this package
// without importing another Kiroku package.
var (
	// ErrNotFound is returned (wrapped) by Get and Delete for a missing key.
	ErrNotFound = kerr.ErrNotFound
	// ErrInvalid is matched by errors for invalid keys and prefixes and by
	// *TooLargeError.
	ErrInvalid = kerr.ErrInvalid
)

// MaxKeyLen is the longest key, in bytes, that ValidKey accepts. It is well
// below the limits of S3 (1024), GCS (1024) and common file systems (4096
// for a path, 255 for a segment).
const MaxKeyLen = 512

// Store holds attachment bytes under keys. Implementations are safe for
// concurrent use. See the package documentation for the exact semantics.
type Store interface {
	// Put streams r into the object at key, replacing any existing object
	// atomically, and returns the number of bytes read from r. On error no
	// object is written (an existing one stays).
	Put(ctx context.Context, key string, r io.Reader) (size int64, err error)
	// Get opens the object at key for reading. The caller must close it.
	// A missing key yields an error matching ErrNotFound.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the object at key. A missing key yields an error
	// matching ErrNotFound.
	Delete(ctx context.Context, key string) error
	// List yields the keys that begin with prefix, in unspecified order.
	// A non-nil error ends the iteration.
	List(ctx context.Context, prefix string) iter.Seq2[string, error]
}

// ValidKey reports why key is not a valid object key, or returns nil.
// The error matches ErrInvalid. The rules are in the package documentation.
func ValidKey(key string) error {
	if key == "" {
		return keyError(key, "empty")
	}
	if len(key) > MaxKeyLen {
		return keyError(key, fmt.Sprintf("longer than %d bytes", MaxKeyLen))
	}
	for seg := range strings.SplitSeq(key, "/") {
		if err := validSegment(key, seg); err != nil {
			return err
		}
	}
	return nil
}

// ValidPrefix reports why prefix is not a valid List prefix, or returns
// nil; the error matches ErrInvalid. It accepts "" and every prefix of a valid key: the rules of
// ValidKey, except that the last segment may be empty (a prefix ending in
// '/') and may end with '.'.
func ValidPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if len(prefix) > MaxKeyLen {
		return keyError(prefix, fmt.Sprintf("longer than %d bytes", MaxKeyLen))
	}
	segs := strings.Split(prefix, "/")
	last := len(segs) - 1
	for i, seg := range segs {
		if i == last {
			if seg == "" {
				break
			}
			if seg[0] == '.' {
				return keyError(prefix, "segment begins with '.'")
			}
			if err := validChars(prefix, seg); err != nil {
				return err
			}
			break
		}
		if err := validSegment(prefix, seg); err != nil {
			return err
		}
	}
	return nil
}

func validSegment(key, seg string) error {
	switch {
	case seg == "":
		return keyError(key, "empty segment (leading, trailing or doubled '/')")
	case seg == "." || seg == "..":
		return keyError(key, "'.' or '..' segment")
	case seg[0] == '.':
		return keyError(key, "segment begins with '.'")
	case seg[len(seg)-1] == '.':
		return keyError(key, "segment ends with '.'")
	case windowsDevice(seg):
		return keyError(key, "Windows device name")
	}
	return validChars(key, seg)
}

func validChars(key, seg string) error {
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		case c == '\\':
			return keyError(key, "backslash")
		case 'A' <= c && c <= 'Z':
			return keyError(key, "upper-case letter")
		default:
			return keyError(key, fmt.Sprintf("character %q", c))
		}
	}
	return nil
}

// windowsDevice reports whether seg names a Windows device (CON, NUL, COM1,
// …), with or without an extension: opening such a name on Windows opens the
// device, not a file.
func windowsDevice(seg string) bool {
	base, _, _ := strings.Cut(seg, ".")
	switch base {
	case "con", "prn", "aux", "nul", "conin$", "conout$":
		return true
	}
	if len(base) == 4 && (strings.HasPrefix(base, "com") || strings.HasPrefix(base, "lpt")) {
		return '0' <= base[3] && base[3] <= '9'
	}
	return false
}

func keyError(key, why string) error {
	if len(key) > 64 {
		key = key[:64] + "…"
	}
	return fmt.Errorf("blob: invalid key %q: %s: %w", key, why, kerr.ErrInvalid)
}

// ctxReader fails with the context's error once ctx is done, so that a
// copy loop notices cancellation between reads.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// CountingReader reads from R and adds to N the number of bytes every Read
// returns, errors or not, so that a caller knows how much of a stream was
// consumed even when the consumer (a Put, an image decoder) fails halfway.
// It is not safe for concurrent use.
type CountingReader struct {
	R io.Reader // the reader read through
	N int64     // bytes read so far
}

// Read implements io.Reader.
func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N += int64(n)
	return n, err
}

// errIter yields a single error.
func errIter(err error) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) { yield("", err) }
}
