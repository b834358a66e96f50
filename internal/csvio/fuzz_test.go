package csvio

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReader feeds arbitrary bytes to NewReader and reads to the end. The
// Reader must never panic or loop, every field must be valid UTF-8, and
// line numbers must never decrease.
func FuzzReader(f *testing.F) {
	seeds := []string{
		"a,b,c\r\n1,2,3\r\n",
		"\xEF\xBB\xBF氏名,住所\r\n山田,東京\r\n",
		"\x8e\x81\x96\xbc,\x8f\x5a\x8f\x8a\r\n\xfb\xfc\x8b\xb4,\x87\x40\r\n", // Shift_JIS
		"\"a\r\nb\",c\r\n",
		"a\rb\r\"c\rd\"\r",
		"a,\"unterminated\nb,c\n",
		"a,b\"c\n\"d\"e\n",
		"PK\x03\x04\x14\x00\x06\x00",
		"\xFF\xFEa\x00",
		"\n\n\r\n,,\n\"\"\n",
		"\"\"\"\"\"\n\"\"\"",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	small := &ReaderOptions{MaxBytes: 1 << 16, MaxRecords: 64, MaxFieldBytes: 8, MaxFields: 4}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range []*ReaderOptions{nil, small} {
			checkReader(t, data, opts)
		}
	})
}

func checkReader(t *testing.T, data []byte, opts *ReaderOptions) {
	r, err := NewReader(bytes.NewReader(data), opts)
	if err != nil {
		if !errors.Is(err, ErrNotCSV) && !errors.Is(err, ErrEncoding) && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("NewReader: unexpected error %v", err)
		}
		return
	}
	last := 0
	for i := 0; ; i++ {
		if i > len(data)+1 {
			t.Fatalf("more rows than input bytes: the Reader does not make progress")
		}
		rc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		var pe *ParseError
		if errors.As(err, &pe) {
			if pe.StartLine < last || pe.Line < pe.StartLine || pe.Column < 1 {
				t.Fatalf("bad ParseError positions %+v after line %d", pe, last)
			}
			last = pe.Line
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrTooManyRecords) {
				t.Fatalf("Read: unexpected error %v", err)
			}
			return
		}
		if rc.Line < last || rc.Line < 1 {
			t.Fatalf("record line %d after line %d", rc.Line, last)
		}
		last = rc.Line
		if len(rc.Fields) == 0 {
			t.Fatalf("record on line %d has no fields", rc.Line)
		}
		for _, f := range rc.Fields {
			if !utf8.ValidString(f) {
				t.Fatalf("field %q is not valid UTF-8", f)
			}
		}
	}
}

// FuzzRoundTrip writes fields (separated by '|' in the fuzz input) and
// reads them back.
func FuzzRoundTrip(f *testing.F) {
	f.Add("a|b,c|\"q\"", false, uint8(0))
	f.Add("=1|-2|'=x|\r\nx", true, uint8(1))
	f.Add("山田|髙|😀|〜", false, uint8(2))
	f.Fuzz(func(t *testing.T, s string, guard bool, encN uint8) {
		enc := Encoding(encN % 3)
		fields := strings.Split(s, "|")
		var buf bytes.Buffer
		w := NewWriter(&buf, enc, &WriterOptions{FormulaGuard: guard})
		reps, err := w.Write(fields)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		for _, rp := range reps {
			if rp.Column < 1 || rp.Column > len(fields) {
				t.Fatalf("replacement column %d out of range", rp.Column)
			}
		}
		r, err := NewReader(&buf, nil)
		if errors.Is(err, ErrNotCSV) {
			return // e.g. fields consisting of control characters
		}
		if err != nil {
			t.Fatal(err)
		}
		rc, err := r.Read()
		if err != nil {
			t.Fatalf("Read: %v (written %q)", err, fields)
		}
		if len(rc.Fields) != len(fields) {
			t.Fatalf("wrote %d fields, read %d", len(fields), len(rc.Fields))
		}
		if _, err := r.Read(); !errors.Is(err, io.EOF) {
			t.Fatalf("want one record, then EOF; got %v", err)
		}
		if enc == ShiftJIS {
			return // replacements and folding make values differ
		}
		for i, want := range fields {
			if !utf8.ValidString(want) {
				continue // replaced byte by byte; covered by the writer tests
			}
			want = strings.ReplaceAll(want, "\x00", "\uFFFD")
			want = strings.ReplaceAll(want, "\r\n", "\n")
			want = strings.ReplaceAll(want, "\r", "\n")
			got := rc.Fields[i]
			if guard {
				got = Unguard(got)
			}
			if got != want {
				t.Fatalf("field %d: wrote %q, read %q", i+1, fields[i], got)
			}
		}
	})
}
