package csvio

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Default limits used by NewReader for ReaderOptions fields that are zero
// (or negative).
const (
	// DefaultMaxBytes is the default limit on the size of the raw input.
	DefaultMaxBytes int64 = 32 << 20
	// DefaultMaxRecords is the default limit on the number of rows.
	DefaultMaxRecords = 100_000
	// DefaultMaxFieldBytes is the default limit on the size of one field,
	// measured in bytes of UTF-8 after decoding and unquoting.
	DefaultMaxFieldBytes = 64 << 10
	// DefaultMaxFields is the default limit on the number of fields in one
	// record; it equals the number of columns of an Excel worksheet.
	DefaultMaxFields = 16_384
)

// ReaderOptions limits the resources a Reader spends on untrusted input. A
// nil *ReaderOptions, or a zero or negative field, means the corresponding
// default.
type ReaderOptions struct {
	// MaxBytes is the maximum size of the raw input in bytes (before
	// decoding). Larger input makes NewReader fail with ErrTooLarge.
	// Default: DefaultMaxBytes (32 MiB).
	MaxBytes int64
	// MaxRecords is the maximum number of rows (records and malformed rows
	// alike; blank lines do not count). Read returns ErrTooManyRecords
	// instead of the row after the last allowed one.
	// Default: DefaultMaxRecords (100 000).
	MaxRecords int
	// MaxFieldBytes is the maximum size of one field in bytes of UTF-8,
	// after decoding and unquoting. A longer field makes its row a
	// *ParseError wrapping ErrFieldTooLong.
	// Default: DefaultMaxFieldBytes (64 KiB).
	MaxFieldBytes int
	// MaxFields is the maximum number of fields in one record. A record
	// with more fields is a *ParseError wrapping ErrTooManyFields.
	// Default: DefaultMaxFields (16 384).
	MaxFields int
}

// Record is one row of a CSV file.
type Record struct {
	// Line is the 1-based physical line on which the record starts, as
	// shown by a text editor. Blank lines and line breaks inside quoted
	// fields are counted.
	Line int
	// Fields holds the field values, unquoted, as valid UTF-8. Line breaks
	// inside quoted fields are normalised to "\n". Records may have
	// differing numbers of fields.
	Fields []string
}

// Reader reads records from CSV content. It is created by NewReader, which
// reads and decodes the whole input up front; Read then parses one record
// per call. A Reader is not safe for concurrent use.
type Reader struct {
	enc        Encoding
	src        string // decoded content, valid UTF-8, without BOM
	maxRecords int
	maxField   int
	maxFields  int

	pos       int // offset of the next unread byte in src
	line      int // physical line number of src[pos]
	lineStart int // offset in src where that line starts
	rows      int // rows returned so far (records and ParseErrors)
	err       error

	buf  []byte // field contents of the record being parsed
	ends []int  // end offset of each field in buf
}

// NewReader reads all of r (at most opts.MaxBytes bytes), detects its
// encoding with the rules of Detect, decodes it to UTF-8 and returns a
// Reader positioned at the first record.
//
// It fails with an error wrapping ErrTooLarge if r holds more than
// opts.MaxBytes bytes, with the errors of Detect for unsuitable content, or
// with the error of r itself.
func NewReader(r io.Reader, opts *ReaderOptions) (*Reader, error) {
	var o ReaderOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxRecords <= 0 {
		o.MaxRecords = DefaultMaxRecords
	}
	if o.MaxFieldBytes <= 0 {
		o.MaxFieldBytes = DefaultMaxFieldBytes
	}
	if o.MaxFields <= 0 {
		o.MaxFields = DefaultMaxFields
	}

	limit := o.MaxBytes
	if limit < 1<<62 {
		limit++ // read one byte more to tell "exactly MaxBytes" from "more"
	}
	b, err := io.ReadAll(io.LimitReader(r, limit))
	if err != nil {
		return nil, fmt.Errorf("csvio: reading input: %w", err)
	}
	if int64(len(b)) > o.MaxBytes {
		return nil, fmt.Errorf("%w: the file is larger than the limit of %s", ErrTooLarge, byteSize(o.MaxBytes))
	}
	enc, text, err := sniff(b)
	if err != nil {
		return nil, err
	}
	return &Reader{
		enc:        enc,
		src:        text,
		maxRecords: o.MaxRecords,
		maxField:   o.MaxFieldBytes,
		maxFields:  o.MaxFields,
		line:       1,
	}, nil
}

// Encoding returns the encoding detected in the input.
func (r *Reader) Encoding() Encoding { return r.enc }

// Read returns the next record. Blank lines are skipped. At the end of the
// input it returns io.EOF.
//
// A malformed row yields a *ParseError. The Reader then resynchronises and
// the next call continues with the following row, so a caller can collect
// every bad row and keep every good one:
//
//   - after ErrBareQuote, ErrUnescapedQuote or ErrTooManyFields, reading
//     resumes at the start of the physical line after the one with the
//     error;
//   - after ErrUnterminatedQuote, reading resumes at the line after the one
//     holding the opening quote (the quote was most likely a typo, so the
//     following lines are ordinary rows);
//   - after ErrFieldTooLong in a quoted field, the field is skipped up to
//     its closing quote and reading resumes at the line after that quote
//     (if it has none, the row is reported as ErrUnterminatedQuote instead);
//     in an unquoted field, reading resumes at the next line.
//
// Any other error (ErrTooManyRecords, io.EOF) is final: every later call
// returns it again.
func (r *Reader) Read() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	r.skipBlankLines()
	if r.pos >= len(r.src) {
		r.err = io.EOF
		return Record{}, r.err
	}
	if r.rows >= r.maxRecords {
		r.err = fmt.Errorf("%w: the file has more than %d rows (limit), the first one over the limit is on line %d", ErrTooManyRecords, r.maxRecords, r.line)
		return Record{}, r.err
	}
	r.rows++
	return r.parseRecord()
}

// skipBlankLines advances over empty physical lines.
func (r *Reader) skipBlankLines() {
	for r.pos < len(r.src) {
		c := r.src[r.pos]
		if c != '\n' && c != '\r' {
			return
		}
		r.consumeNewline()
	}
}

// consumeNewline advances over the line break at r.pos (CRLF, CR or LF).
func (r *Reader) consumeNewline() {
	if r.src[r.pos] == '\r' && r.pos+1 < len(r.src) && r.src[r.pos+1] == '\n' {
		r.pos++
	}
	r.pos++
	r.line++
	r.lineStart = r.pos
}

// skipLine advances to the start of the next physical line (or the end of
// the input).
func (r *Reader) skipLine() {
	i := strings.IndexAny(r.src[r.pos:], "\r\n")
	if i < 0 {
		r.pos = len(r.src)
		return
	}
	r.pos += i
	r.consumeNewline()
}

// advanceTo moves r.pos forward to p, which must not lie between the CR and
// LF of a CRLF, keeping the line bookkeeping right.
func (r *Reader) advanceTo(p int) {
	for r.pos < p {
		i := strings.IndexAny(r.src[r.pos:p], "\r\n")
		if i < 0 {
			r.pos = p
			return
		}
		r.pos += i
		r.consumeNewline()
	}
}

// column returns the 1-based character column of offset p, which must lie
// on the current line.
func (r *Reader) column(p int) int {
	return utf8.RuneCountInString(r.src[r.lineStart:p]) + 1
}

// fail builds a ParseError for offset p on the current line.
func (r *Reader) fail(startLine, p int, err error) *ParseError {
	return &ParseError{StartLine: startLine, Line: r.line, Column: r.column(p), Err: err}
}

// parseRecord parses the record starting at r.pos, which is not at a line
// break or the end of the input.
func (r *Reader) parseRecord() (Record, error) {
	startLine := r.line
	r.buf = r.buf[:0]
	r.ends = r.ends[:0]

	for {
		// At the start of a field.
		if len(r.ends) >= r.maxFields {
			perr := r.fail(startLine, r.pos, fmt.Errorf("%w (limit %d)", ErrTooManyFields, r.maxFields))
			r.skipLine()
			return Record{}, perr
		}

		if r.pos < len(r.src) && r.src[r.pos] == '"' {
			endOfRecord, perr := r.parseQuoted(startLine)
			if perr != nil {
				return Record{}, perr
			}
			r.ends = append(r.ends, len(r.buf))
			if endOfRecord {
				break
			}
			continue
		}

		// Unquoted field: runs to the next comma, line break or end of input.
		rest := r.src[r.pos:]
		n := strings.IndexAny(rest, ",\r\n\"")
		if n < 0 {
			n = len(rest)
		}
		if n < len(rest) && rest[n] == '"' {
			perr := r.fail(startLine, r.pos+n, ErrBareQuote)
			r.skipLine()
			return Record{}, perr
		}
		if n > r.maxField {
			perr := r.fail(startLine, r.pos, fmt.Errorf("%w (limit %s)", ErrFieldTooLong, byteSize(int64(r.maxField))))
			r.skipLine()
			return Record{}, perr
		}
		r.buf = append(r.buf, rest[:n]...)
		r.ends = append(r.ends, len(r.buf))
		r.pos += n
		if r.pos < len(r.src) && r.src[r.pos] == ',' {
			r.pos++
			continue
		}
		if r.pos < len(r.src) {
			r.consumeNewline()
		}
		break
	}

	s := string(r.buf)
	fields := make([]string, len(r.ends))
	prev := 0
	for i, end := range r.ends {
		fields[i] = s[prev:end]
		prev = end
	}
	return Record{Line: startLine, Fields: fields}, nil
}

// parseQuoted parses the quoted field whose opening quote is at r.pos,
// appending its value to r.buf. It reports whether the field ended the
// record. On a ParseError it has already resynchronised.
func (r *Reader) parseQuoted(startLine int) (endOfRecord bool, perr *ParseError) {
	open := quoteStart{pos: r.pos, line: r.line, lineStart: r.lineStart}
	fieldStart := len(r.buf)
	r.pos++ // opening quote

	for {
		if len(r.buf)-fieldStart > r.maxField {
			return false, r.skipLongQuoted(startLine, open)
		}
		rest := r.src[r.pos:]
		n := strings.IndexAny(rest, "\"\r\n")
		if n < 0 {
			return false, r.unterminated(startLine, open)
		}
		// Copy at most one byte past the limit so that an oversized field
		// is noticed without copying all of it.
		if room := r.maxField - (len(r.buf) - fieldStart) + 1; n > room {
			r.buf = append(r.buf, rest[:room]...)
			r.pos += room
			continue
		}
		r.buf = append(r.buf, rest[:n]...)
		r.pos += n
		switch r.src[r.pos] {
		case '\r', '\n':
			r.consumeNewline()
			r.buf = append(r.buf, '\n')
			continue
		}
		// A double quote.
		if r.pos+1 < len(r.src) && r.src[r.pos+1] == '"' {
			r.buf = append(r.buf, '"')
			r.pos += 2
			continue
		}
		if len(r.buf)-fieldStart > r.maxField {
			return false, r.skipLongQuoted(startLine, open)
		}
		quotePos := r.pos
		r.pos++ // closing quote
		if r.pos >= len(r.src) {
			return true, nil
		}
		switch r.src[r.pos] {
		case ',':
			r.pos++
			return false, nil
		case '\r', '\n':
			r.consumeNewline()
			return true, nil
		}
		e := r.fail(startLine, quotePos, ErrUnescapedQuote)
		r.skipLine()
		return false, e
	}
}

// quoteStart records where a quoted field opened.
type quoteStart struct {
	pos, line, lineStart int
}

// unterminated reports ErrUnterminatedQuote at the opening quote and resumes
// at the line after it.
func (r *Reader) unterminated(startLine int, open quoteStart) *ParseError {
	r.pos, r.line, r.lineStart = open.pos, open.line, open.lineStart
	e := r.fail(startLine, open.pos, ErrUnterminatedQuote)
	r.skipLine()
	return e
}

// skipLongQuoted handles a quoted field that exceeds the size limit. It
// looks for the field's closing quote, which is the last quote of the first
// run of an odd number of quotes from r.pos on (runs of even length are
// escaped quotes; r.pos never lies inside a run, as pairs are consumed
// whole). It then reports ErrFieldTooLong at the opening quote and resumes
// at the line after the closing quote. Without a closing quote the row is
// reported as ErrUnterminatedQuote instead.
func (r *Reader) skipLongQuoted(startLine int, open quoteStart) *ParseError {
	i := r.pos
	for {
		j := strings.IndexByte(r.src[i:], '"')
		if j < 0 {
			return r.unterminated(startLine, open)
		}
		i += j
		k := 0
		for i+k < len(r.src) && r.src[i+k] == '"' {
			k++
		}
		if k%2 == 1 {
			r.advanceTo(i + k - 1)
			e := &ParseError{
				StartLine: startLine,
				Line:      open.line,
				Column:    utf8.RuneCountInString(r.src[open.lineStart:open.pos]) + 1,
				Err:       fmt.Errorf("%w (limit %s)", ErrFieldTooLong, byteSize(int64(r.maxField))),
			}
			r.skipLine()
			return e
		}
		i += k
	}
}
