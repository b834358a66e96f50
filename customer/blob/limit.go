package blob

import (
	"fmt"
	"io"

	"github.com/kirokuhq/kiroku/internal/kerr"
)

// DefaultMaxSize is the default largest attachment, 30 MiB.
const DefaultMaxSize int64 = 30 << 20

// TooLargeError reports that a reader wrapped with Limit held more than
// Limit bytes. It matches ErrInvalid (errors.Is) and corresponds to the
// field code validation.CodeTooLarge with Param Limit.
type TooLargeError struct {
	// Limit is the number of bytes that was allowed.
	Limit int64
}

// Error implements error.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("blob: larger than %d bytes", e.Limit)
}

// Unwrap makes a *TooLargeError match ErrInvalid.
func (e *TooLargeError) Unwrap() error { return kerr.ErrInvalid }

// Limit returns a reader that reads from r and fails with a *TooLargeError
// as soon as r turns out to hold more than n bytes. The first n bytes are
// returned normally; the error comes instead of the byte after them, so a
// reader of exactly n bytes succeeds. Limit never reads more than n+1 bytes
// from r. A negative n is treated as 0.
//
// Wrap an upload with Limit before passing it to Store.Put: Put then fails
// with the *TooLargeError (wrapped) and stores nothing.
func Limit(r io.Reader, n int64) io.Reader {
	return &limitReader{r: r, left: max(n, 0), limit: max(n, 0)}
}

type limitReader struct {
	r     io.Reader
	left  int64 // bytes still allowed
	limit int64
	err   error // sticky *TooLargeError
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	// Ask for at most one byte more than allowed: receiving it proves the
	// input is too large.
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	if int64(n) > l.left {
		n = int(l.left)
		l.left = 0
		l.err = &TooLargeError{Limit: l.limit}
		return n, l.err
	}
	l.left -= int64(n)
	return n, err
}
