package csvio

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"
)

// WriterOptions configures a Writer. A nil *WriterOptions means the zero
// value.
type WriterOptions struct {
	// FormulaGuard makes the Writer prefix a field with an apostrophe (')
	// when it starts with a character that makes Excel (or another
	// spreadsheet) treat the cell as a formula: = + - @ TAB or CR. This is
	// the usual defence against CSV injection. LF is guarded as well,
	// because a Reader turns a quoted CR into LF; and a field that already
	// starts with apostrophes followed by such a character gets one more
	// apostrophe, so that Unguard restores every field exactly. Note that
	// negative numbers ("-5") are guarded too.
	FormulaGuard bool
}

// Replacement reports one rune that a Writer could not write as is and
// replaced: by 〓 (U+3013 GETA MARK, Shift_JIS 0x81AC, the traditional
// placeholder for a missing glyph) for ShiftJIS output, by U+FFFD for UTF-8
// output.
type Replacement struct {
	// Column is the 1-based index of the field in the record.
	Column int
	// Rune is the original rune; utf8.RuneError for a byte that was not
	// valid UTF-8.
	Rune rune
}

// Writer writes CSV records in a given encoding. Output is buffered in a
// small fixed-size buffer and streamed to the underlying io.Writer; call
// Flush when done. A Writer is not safe for concurrent use.
type Writer struct {
	w       *bufio.Writer
	enc     Encoding
	guard   bool
	started bool
	sjis    transform.Transformer
	line    []byte
	runeBuf [4]byte
	encBuf  [8]byte
	encErr  error
}

// NewWriter returns a Writer that writes records to w in encoding enc.
// Records end with CRLF, as Excel writes them. For UTF8BOM the byte order
// mark is written once, before the first record. An Encoding other than
// UTF8, UTF8BOM and ShiftJIS makes every Write fail with ErrEncoding.
func NewWriter(w io.Writer, enc Encoding, opts *WriterOptions) *Writer {
	wr := &Writer{w: bufio.NewWriter(w), enc: enc}
	if opts != nil {
		wr.guard = opts.FormulaGuard
	}
	switch enc {
	case UTF8, UTF8BOM:
	case ShiftJIS:
		wr.sjis = japanese.ShiftJIS.NewEncoder()
	default:
		wr.encErr = fmt.Errorf("%w: cannot write %v", ErrEncoding, enc)
	}
	return wr
}

// Write writes one record. A field is enclosed in double quotes only when
// needed: when it contains a comma, a double quote, CR or LF; when it starts
// or ends with white space or starts with U+FEFF (which a reader could take
// for a byte order mark); or when it is the only field of the record and
// empty (so that the row is not a blank line, which readers skip). A record
// with no fields is written as an empty line.
//
// Characters that cannot be written are replaced one for one and reported
// in the returned slice, in order (nil if there were none):
//
//   - for ShiftJIS, every rune without a Shift_JIS (CP932) code, such as
//     emoji, accented Latin letters, Hangul or kanji outside CP932 (𠮷),
//     becomes 〓;
//   - for every encoding, each byte that is not valid UTF-8 and each NUL
//     character (which would make the file look binary to a Reader)
//     becomes U+FFFD, or 〓 for ShiftJIS.
//
// Replacements never change the number of fields or the position of a
// field. Other control characters are written as they are.
//
// Before encoding to ShiftJIS, the characters for which the JIS and
// Microsoft mappings to Unicode differ are folded to their CP932 form:
// 〜 U+301C → ～ U+FF5E, ‖ U+2016 → ∥ U+2225, − U+2212 → － U+FF0D,
// — U+2014 → ― U+2015, ¢ U+00A2 → ￠ U+FFE0, £ U+00A3 → ￡ U+FFE1 and
// ¬ U+00AC → ￢ U+FFE2. They denote the same Shift_JIS character, so this
// is not reported as a replacement, but such a character reads back as its
// CP932 form.
//
// The error is that of the underlying writer (possibly from an earlier
// Write, as output is buffered) or ErrEncoding for an unknown Encoding.
func (w *Writer) Write(fields []string) ([]Replacement, error) {
	if w.encErr != nil {
		return nil, w.encErr
	}
	if !w.started {
		w.started = true
		if w.enc == UTF8BOM {
			if _, err := w.w.Write(bom); err != nil {
				return nil, err
			}
		}
	}
	var reps []Replacement
	w.line = w.line[:0]
	for i, f := range fields {
		if i > 0 {
			w.line = append(w.line, ',')
		}
		if w.guard && needsGuard(f) {
			f = "'" + f
		}
		quote := needsQuotes(f) || (f == "" && len(fields) == 1)
		if quote {
			w.line = append(w.line, '"')
		}
		reps = w.appendField(reps, i+1, f, quote)
		if quote {
			w.line = append(w.line, '"')
		}
	}
	w.line = append(w.line, '\r', '\n')
	_, err := w.w.Write(w.line)
	return reps, err
}

// Flush writes any buffered data to the underlying io.Writer and returns
// the first error that occurred while writing.
func (w *Writer) Flush() error {
	if w.encErr != nil {
		return w.encErr
	}
	return w.w.Flush()
}

// appendField appends the encoded contents of field f (column col) to
// w.line, doubling quotes if quoted, and returns reps with the replacements
// made appended.
func (w *Writer) appendField(reps []Replacement, col int, f string, quoted bool) []Replacement {
	for i := 0; i < len(f); {
		c := f[i]
		if c < utf8.RuneSelf && c != 0 {
			if c == '"' && quoted {
				w.line = append(w.line, '"')
			}
			w.line = append(w.line, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(f[i:])
		raw := f[i : i+size]
		i += size
		if r == 0 || (r == utf8.RuneError && size == 1) {
			reps = append(reps, Replacement{Column: col, Rune: r})
			w.appendReplacement()
			continue
		}
		if w.enc != ShiftJIS {
			w.line = append(w.line, raw...)
			continue
		}
		enc := r
		if folded, ok := cp932Fold[r]; ok {
			enc = folded
		}
		if !w.appendShiftJIS(enc) {
			reps = append(reps, Replacement{Column: col, Rune: r})
			w.appendReplacement()
		}
	}
	return reps
}

// appendReplacement appends the replacement character of the output
// encoding.
func (w *Writer) appendReplacement() {
	if w.enc == ShiftJIS {
		w.line = append(w.line, 0x81, 0xAC) // 〓
		return
	}
	w.line = utf8.AppendRune(w.line, utf8.RuneError)
}

// appendShiftJIS appends the Shift_JIS encoding of the non-ASCII rune r and
// reports whether r has one.
func (w *Writer) appendShiftJIS(r rune) bool {
	n := utf8.EncodeRune(w.runeBuf[:], r)
	nDst, _, err := w.sjis.Transform(w.encBuf[:], w.runeBuf[:n], true)
	if err != nil || nDst == 0 {
		return false
	}
	w.line = append(w.line, w.encBuf[:nDst]...)
	return true
}

// cp932Fold maps characters whose Unicode mapping differs between JIS X 0208
// and CP932 to the CP932 form, which x/text's Shift_JIS encoder accepts.
var cp932Fold = map[rune]rune{
	'\u301C': '\uFF5E', // WAVE DASH → FULLWIDTH TILDE
	'\u2016': '\u2225', // DOUBLE VERTICAL LINE → PARALLEL TO
	'\u2212': '\uFF0D', // MINUS SIGN → FULLWIDTH HYPHEN-MINUS
	'\u2014': '\u2015', // EM DASH → HORIZONTAL BAR
	'\u00A2': '\uFFE0', // CENT SIGN → FULLWIDTH CENT SIGN
	'\u00A3': '\uFFE1', // POUND SIGN → FULLWIDTH POUND SIGN
	'\u00AC': '\uFFE2', // NOT SIGN → FULLWIDTH NOT SIGN
}

// needsQuotes reports whether field f must be enclosed in double quotes.
func needsQuotes(f string) bool {
	if f == "" {
		return false
	}
	if strings.ContainsAny(f, ",\"\r\n") {
		return true
	}
	first, _ := utf8.DecodeRuneInString(f)
	last, _ := utf8.DecodeLastRuneInString(f)
	// A leading U+FEFF is quoted so that, at the start of a file, a reader
	// does not take it for a byte order mark.
	return unicode.IsSpace(first) || unicode.IsSpace(last) || first == '\uFEFF'
}
