package csvio

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
)

// Encoding is a character encoding of a CSV file.
type Encoding int

const (
	// UTF8 is UTF-8 without a byte order mark.
	UTF8 Encoding = iota
	// UTF8BOM is UTF-8 preceded by the byte order mark EF BB BF, which is
	// what Excel's "CSV UTF-8" format writes.
	UTF8BOM
	// ShiftJIS is Shift_JIS as Windows uses it (code page 932, also known
	// as Windows-31J), including the NEC special characters (①, ㈱, …) and
	// the NEC-selected and IBM extensions (髙, 﨑, …). This is what Excel's
	// plain "CSV" format writes on Japanese Windows.
	ShiftJIS
)

// String returns a human-readable name: "UTF-8", "UTF-8 with BOM" or
// "Shift_JIS"; unknown values are shown as "Encoding(n)".
func (e Encoding) String() string {
	switch e {
	case UTF8:
		return "UTF-8"
	case UTF8BOM:
		return "UTF-8 with BOM"
	case ShiftJIS:
		return "Shift_JIS"
	default:
		return "Encoding(" + strconv.Itoa(int(e)) + ")"
	}
}

// ByName returns the encoding of an output name as the engines' public
// Encoding types spell it: "utf-8-bom" (and "", the default), "shift_jis"
// or "utf-8"; ok is false for any other name.
func ByName(name string) (e Encoding, ok bool) {
	switch name {
	case "", "utf-8-bom":
		return UTF8BOM, true
	case "shift_jis":
		return ShiftJIS, true
	case "utf-8":
		return UTF8, true
	}
	return 0, false
}

// sniffLen is the size of the window at the start of the input that is
// checked for NUL bytes and control characters.
const sniffLen = 8 << 10

// maxControlShare is the share of control characters (in the first sniffLen
// bytes of decoded text) above which the input is considered binary. Real
// CSV files contain practically none besides TAB, CR and LF.
const maxControlShare = 0.10

var bom = []byte{0xEF, 0xBB, 0xBF}

// magic describes a file signature of a format that is certainly not CSV.
type magic struct {
	offset int
	sig    string
	what   string
}

var magics = []magic{
	{0, "PK\x03\x04", "a ZIP archive (such as an Excel .xlsx workbook)"},
	{0, "PK\x05\x06", "a ZIP archive (such as an Excel .xlsx workbook)"},
	{0, "PK\x07\x08", "a ZIP archive (such as an Excel .xlsx workbook)"},
	{0, "\xD0\xCF\x11\xE0", "an OLE2 compound file (such as an old Excel .xls workbook)"},
	{0, "%PDF-", "a PDF document"},
	{0, "\x89PNG\r\n\x1A\n", "a PNG image"},
	{0, "\xFF\xD8\xFF", "a JPEG image"},
	{0, "GIF87a", "a GIF image"},
	{0, "GIF89a", "a GIF image"},
	{0, "RIFF", "a RIFF file (such as a WebP image)"},
	{4, "ftyp", "an ISO media file (such as a HEIC photo or an MP4 video)"},
}

// Detect decides the encoding of CSV content by looking at the bytes
// themselves (see the package documentation for the exact rules). It
// returns an error wrapping ErrNotCSV for content that is not text (office
// documents, PDF, images, binary data) and an error wrapping ErrEncoding for
// text in an unsupported encoding (UTF-16, or bytes that are neither valid
// UTF-8 nor valid Shift_JIS).
func Detect(b []byte) (Encoding, error) {
	enc, _, err := sniff(b)
	return enc, err
}

// sniff implements Detect and also returns the content decoded to UTF-8
// with any BOM removed.
func sniff(b []byte) (Encoding, string, error) {
	if len(b) >= 2 && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF) {
		return UTF8, "", fmt.Errorf("%w: the file is UTF-16 (Excel's \"Unicode text\"); save it as \"CSV UTF-8 (comma delimited)\" or \"CSV (comma delimited)\" (Shift_JIS) instead", ErrEncoding)
	}
	for _, m := range magics {
		if len(b) >= m.offset+len(m.sig) && string(b[m.offset:m.offset+len(m.sig)]) == m.sig {
			return UTF8, "", fmt.Errorf("%w: the file looks like %s; save it as CSV first", ErrNotCSV, m.what)
		}
	}
	if i := bytes.IndexByte(b[:min(len(b), sniffLen)], 0); i >= 0 {
		return UTF8, "", fmt.Errorf("%w: the file contains NUL bytes (at byte offset %d), so it is binary data or UTF-16 text", ErrNotCSV, i)
	}

	var (
		enc  Encoding
		text string
	)
	switch {
	case bytes.HasPrefix(b, bom):
		body := b[len(bom):]
		if off := invalidUTF8(body); off >= 0 {
			return UTF8, "", fmt.Errorf("%w: the file starts with a UTF-8 byte order mark but is not valid UTF-8 (line %d)", ErrEncoding, lineAt(body, off))
		}
		enc, text = UTF8BOM, string(body)
	case utf8.Valid(b):
		enc, text = UTF8, string(b)
	default:
		dec, err := japanese.ShiftJIS.NewDecoder().Bytes(b)
		if err != nil {
			// The x/text decoder does not fail on bad input, but be safe.
			return UTF8, "", fmt.Errorf("%w: %v", ErrEncoding, err)
		}
		// The decoder substitutes U+FFFD for byte sequences that are not
		// Shift_JIS; U+FFFD itself has no Shift_JIS code, so its presence
		// means the input was not (entirely) Shift_JIS.
		if off := bytes.Index(dec, []byte("\uFFFD")); off >= 0 {
			return UTF8, "", fmt.Errorf("%w: the file is neither valid UTF-8 (line %d) nor valid Shift_JIS (line %d); save it as \"CSV UTF-8 (comma delimited)\" or \"CSV (comma delimited)\"",
				ErrEncoding, lineAt(b, invalidUTF8(b)), lineAt(dec, off))
		}
		enc, text = ShiftJIS, string(dec)
	}

	if controlShare(text[:sniffEnd(text)]) > maxControlShare {
		return UTF8, "", fmt.Errorf("%w: the file consists mostly of control characters", ErrNotCSV)
	}
	return enc, text, nil
}

// invalidUTF8 returns the offset of the first invalid UTF-8 sequence in b,
// or -1 if b is valid UTF-8.
func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// lineAt returns the 1-based physical line number of offset off in b,
// counting CRLF, lone CR and lone LF as one line break each.
func lineAt(b []byte, off int) int {
	line := 1
	for i := 0; i < off && i < len(b); i++ {
		switch b[i] {
		case '\n':
			line++
		case '\r':
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			line++
		}
	}
	return line
}

// sniffEnd returns the length of the longest prefix of s that is at most
// sniffLen bytes long and ends on a rune boundary.
func sniffEnd(s string) int {
	if len(s) <= sniffLen {
		return len(s)
	}
	n := sniffLen
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// controlShare returns the fraction of runes in s that are control
// characters other than TAB, LF and CR.
func controlShare(s string) float64 {
	total, ctrl := 0, 0
	for _, r := range s {
		total++
		if isControl(r) {
			ctrl++
		}
	}
	if total == 0 {
		return 0
	}
	return float64(ctrl) / float64(total)
}

// isControl reports whether r is a C0 or C1 control character or DEL,
// except TAB, LF and CR.
func isControl(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return false
	case r < 0x20 || r == 0x7F:
		return true
	case r >= 0x80 && r <= 0x9F:
		return true
	}
	return false
}
