package csvio

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Errors returned by this package wrap one of these (or are
// a *ParseError whose Err wraps one of them), so callers should test with
// errors.Is rather than comparing error values or messages.
var (
	// ErrNotCSV reports that the input is not CSV text at all: a ZIP
	// archive (.xlsx, .docx), an OLE2 compound file (old .xls), a PDF or an
	// image, or content containing NUL bytes or consisting mostly of control
	// characters.
	ErrNotCSV = errors.New("csvio: not a CSV text file")

	// ErrEncoding reports that the input is text in an unsupported encoding
	// (UTF-16, or bytes that are neither valid UTF-8 nor valid Shift_JIS), or
	// that a Writer was given an unknown Encoding.
	ErrEncoding = errors.New("csvio: unsupported character encoding")

	// ErrTooLarge reports that the input is larger than
	// ReaderOptions.MaxBytes.
	ErrTooLarge = errors.New("csvio: input too large")

	// ErrTooManyRecords reports that the input has more rows than
	// ReaderOptions.MaxRecords.
	ErrTooManyRecords = errors.New("csvio: too many records")

	// ErrFieldTooLong is wrapped by a *ParseError when a field is longer
	// than ReaderOptions.MaxFieldBytes.
	ErrFieldTooLong = errors.New("csvio: field too long")

	// ErrTooManyFields is wrapped by a *ParseError when a record has more
	// fields than ReaderOptions.MaxFields.
	ErrTooManyFields = errors.New("csvio: too many fields in record")

	// ErrBareQuote is wrapped by a *ParseError when a double quote appears
	// inside a field that does not start with a double quote, as in
	// `abc"def`. Such a field must be written as `"abc""def"`.
	ErrBareQuote = errors.New(`csvio: bare " in unquoted field`)

	// ErrUnescapedQuote is wrapped by a *ParseError when a double quote
	// inside a quoted field is followed by something other than a second
	// double quote, a comma or the end of the line, as in `"abc"def`.
	ErrUnescapedQuote = errors.New(`csvio: " inside quoted field must be doubled ("")`)

	// ErrUnterminatedQuote is wrapped by a *ParseError when a quoted field
	// is still open at the end of the input.
	ErrUnterminatedQuote = errors.New(`csvio: quoted field is never closed by "`)
)

// ParseError describes one malformed row. It is returned by Reader.Read; the
// Reader stays usable afterwards (see Reader.Read for where it resumes).
//
// Line and Column point at the offending character as a user would find it
// in a text editor: Line is the 1-based physical line, Column the 1-based
// position in characters (Unicode code points, not bytes) within that line.
type ParseError struct {
	// StartLine is the physical line on which the malformed record starts.
	// It differs from Line only when the record spans several lines
	// because of quoted line breaks.
	StartLine int
	// Line is the 1-based physical line of the error.
	Line int
	// Column is the 1-based character position of the error within Line.
	Column int
	// Err is the underlying error; it wraps one of ErrBareQuote,
	// ErrUnescapedQuote, ErrUnterminatedQuote, ErrFieldTooLong or
	// ErrTooManyFields.
	Err error
}

// Error implements the error interface.
func (e *ParseError) Error() string {
	msg := "<nil>"
	if e.Err != nil {
		msg = strings.TrimPrefix(e.Err.Error(), "csvio: ")
	}
	if e.StartLine != 0 && e.StartLine != e.Line {
		return fmt.Sprintf("csvio: record on line %d: line %d, column %d: %s", e.StartLine, e.Line, e.Column, msg)
	}
	return fmt.Sprintf("csvio: line %d, column %d: %s", e.Line, e.Column, msg)
}

// Unwrap returns e.Err so that errors.Is and errors.As see the cause.
func (e *ParseError) Unwrap() error { return e.Err }

// byteSize formats n bytes for error messages, e.g. "32 MiB (33554432 bytes)".
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB (%d bytes)", n>>20, n)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB (%d bytes)", n>>10, n)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
