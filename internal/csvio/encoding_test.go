package csvio

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/japanese"
)

func TestEncodingString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		enc  Encoding
		want string
	}{
		{UTF8, "UTF-8"},
		{UTF8BOM, "UTF-8 with BOM"},
		{ShiftJIS, "Shift_JIS"},
		{Encoding(42), "Encoding(42)"},
		{Encoding(-1), "Encoding(-1)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.enc.String())
		})
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	sj := func(s string) []byte {
		b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(s))
		if err != nil {
			panic(err)
		}
		return b
	}
	bigASCII := strings.Repeat("abc,def\r\n", 1000) // > 8 KiB
	tests := []struct {
		name    string
		in      []byte
		want    Encoding
		wantErr error
		msg     string // substring of the error message
	}{
		{name: "empty", in: nil, want: UTF8},
		{name: "ascii", in: []byte("a,b,c\r\n"), want: UTF8},
		{name: "utf8 japanese", in: []byte("氏名,住所\n山田,東京\n"), want: UTF8},
		{name: "utf8 bom", in: append([]byte("\xEF\xBB\xBF"), "氏名\n"...), want: UTF8BOM},
		{name: "bom only", in: []byte("\xEF\xBB\xBF"), want: UTF8BOM},
		{name: "bom then invalid", in: []byte("\xEF\xBB\xBFa\nb\xFF"), wantErr: ErrEncoding, msg: "line 2"},
		{name: "shift_jis", in: sj("氏名,住所\r\n山田,髙橋①㈱\r\n"), want: ShiftJIS},
		{name: "shift_jis halfwidth katakana", in: sj("ｱｲｳ,ｴｵ\r\n"), want: ShiftJIS},
		{name: "shift_jis IBM extension bytes", in: []byte("\xFB\xFC,\xFA\xB1\r\n"), want: ShiftJIS},
		{name: "neither utf8 nor sjis", in: []byte("a\n\x82\xA0\xFD\n"), wantErr: ErrEncoding, msg: "Shift_JIS (line 2)"},
		{name: "sjis user-defined area", in: []byte("a,\xF0\x40\r\n"), wantErr: ErrEncoding},
		{name: "truncated sjis", in: []byte("\x82\xA0\x82"), wantErr: ErrEncoding},
		{name: "utf16le bom", in: []byte("\xFF\xFEa\x00,\x00b\x00"), wantErr: ErrEncoding, msg: "CSV UTF-8"},
		{name: "utf16be bom", in: []byte("\xFE\xFF\x00a\x00,\x00b"), wantErr: ErrEncoding, msg: "UTF-16"},
		{name: "utf16 without bom", in: []byte("a\x00,\x00b\x00"), wantErr: ErrNotCSV, msg: "NUL"},
		{name: "xlsx", in: []byte("PK\x03\x04\x14\x00\x06\x00"), wantErr: ErrNotCSV, msg: "ZIP"},
		{name: "empty zip", in: []byte("PK\x05\x06" + strings.Repeat("\x00", 18)), wantErr: ErrNotCSV, msg: "ZIP"},
		{name: "xls", in: []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), wantErr: ErrNotCSV, msg: "OLE2"},
		{name: "pdf", in: []byte("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n"), wantErr: ErrNotCSV, msg: "PDF"},
		{name: "png", in: []byte("\x89PNG\r\n\x1A\n\x00\x00\x00\rIHDR"), wantErr: ErrNotCSV, msg: "PNG"},
		{name: "jpeg", in: []byte("\xFF\xD8\xFF\xE0\x00\x10JFIF"), wantErr: ErrNotCSV, msg: "JPEG"},
		{name: "gif87a", in: []byte("GIF87a\x01\x00"), wantErr: ErrNotCSV, msg: "GIF"},
		{name: "gif89a", in: []byte("GIF89a\x01\x00"), wantErr: ErrNotCSV, msg: "GIF"},
		{name: "webp", in: []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), wantErr: ErrNotCSV, msg: "WebP"},
		{name: "heic", in: []byte("\x00\x00\x00\x18ftypheic"), wantErr: ErrNotCSV, msg: "HEIC"},
		{name: "NUL early", in: []byte("a,b\r\nc,\x00d\r\n"), wantErr: ErrNotCSV, msg: "offset 7"},
		{name: "NUL after sniff window", in: []byte(bigASCII + "\x00"), want: UTF8},
		{name: "mostly control characters", in: bytes.Repeat([]byte("\x01\x02\x1Ba"), 100), wantErr: ErrNotCSV, msg: "control"},
		{name: "C1 controls via Shift_JIS 0x80", in: []byte("\x80\x80\x80a"), wantErr: ErrNotCSV, msg: "control"},
		{name: "few control characters", in: []byte("name,memo\r\nyamada,bell\a here\r\n"), want: UTF8},
		{name: "tabs and newlines are not control", in: []byte("\t\t\t\r\n\r\n\t\n"), want: UTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Detect(tt.in)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.Contains(t, err.Error(), tt.msg)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// TestShiftJISCharacters pins down how x/text's Shift_JIS (CP932) maps the
// characters Japanese business data relies on, in both directions.
func TestShiftJISCharacters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		char  string
		bytes []byte // what the Writer produces
		alt   []byte // another encoding that must decode to char, if any
	}{
		{name: "IBM extension 髙", char: "髙", bytes: []byte{0xEE, 0xE0}, alt: []byte{0xFB, 0xFC}},
		{name: "IBM extension 﨑", char: "﨑", bytes: []byte{0xED, 0x95}, alt: []byte{0xFA, 0xB1}},
		{name: "NEC special ①", char: "①", bytes: []byte{0x87, 0x40}},
		{name: "NEC special ㈱", char: "㈱", bytes: []byte{0x87, 0x8A}},
		{name: "NEC special №", char: "№", bytes: []byte{0x87, 0x82}},
		{name: "roman numeral Ⅰ", char: "Ⅰ", bytes: []byte{0x87, 0x54}},
		{name: "small roman numeral ⅰ", char: "ⅰ", bytes: []byte{0xEE, 0xEF}, alt: []byte{0xFA, 0x40}},
		{name: "fullwidth tilde ～", char: "～", bytes: []byte{0x81, 0x60}},
		{name: "fullwidth hyphen-minus －", char: "－", bytes: []byte{0x81, 0x7C}},
		{name: "parallel ∥", char: "∥", bytes: []byte{0x81, 0x61}},
		{name: "geta 〓", char: "〓", bytes: []byte{0x81, 0xAC}},
		{name: "fullwidth yen ￥", char: "￥", bytes: []byte{0x81, 0x8F}},
		{name: "halfwidth katakana ｱ", char: "ｱ", bytes: []byte{0xB1}},
		{name: "backslash stays ASCII", char: `\`, bytes: []byte{0x5C}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			w := NewWriter(&buf, ShiftJIS, nil)
			reps, err := w.Write([]string{tt.char})
			require.NoError(t, err)
			require.Empty(t, reps)
			require.NoError(t, w.Flush())
			require.Equal(t, append(append([]byte{}, tt.bytes...), '\r', '\n'), buf.Bytes())

			for _, enc := range [][]byte{tt.bytes, tt.alt} {
				if enc == nil {
					continue
				}
				// Add a character that is not valid UTF-8 so that the
				// input is detected as Shift_JIS even for ASCII cases.
				in := append(append([]byte{0x82, 0xA0, ','}, enc...), "\r\n"...)
				rows, err := readRows(t, in, nil)
				require.NoError(t, err)
				require.Equal(t, []row{rec(1, "あ", tt.char)}, rows)
			}
		})
	}
}

// TestShiftJISCompatibilityFold documents what happens to characters whose
// JIS and Microsoft Unicode mappings differ (the WAVE DASH problem): x/text
// decodes 81 60 as U+FF5E like Windows, cannot encode U+301C, and the
// Writer therefore folds U+301C (and its kin) to the CP932 form.
func TestShiftJISCompatibilityFold(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     rune
		readAs rune
		bytes  string
	}{
		{"wave dash", '\u301C', '\uFF5E', "\x81\x60"},
		{"double vertical line", '\u2016', '\u2225', "\x81\x61"},
		{"minus sign", '\u2212', '\uFF0D', "\x81\x7C"},
		{"em dash", '\u2014', '\u2015', "\x81\x5C"},
		{"cent sign", '\u00A2', '\uFFE0', "\x81\x91"},
		{"pound sign", '\u00A3', '\uFFE1', "\x81\x92"},
		{"not sign", '\u00AC', '\uFFE2', "\x81\xCA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// x/text itself refuses the JIS form.
			_, err := japanese.ShiftJIS.NewEncoder().String(string(tt.in))
			require.Error(t, err)

			var buf bytes.Buffer
			w := NewWriter(&buf, ShiftJIS, nil)
			field := "10:00" + string(tt.in) + "18:00"
			reps, err := w.Write([]string{"あ", field})
			require.NoError(t, err)
			require.Empty(t, reps, "a folded character is not a replacement")
			require.NoError(t, w.Flush())
			require.Contains(t, buf.String(), "10:00"+tt.bytes+"18:00")

			rows, err := readRows(t, buf.Bytes(), nil)
			require.NoError(t, err)
			require.Equal(t, []row{rec(1, "あ", "10:00"+string(tt.readAs)+"18:00")}, rows)
		})
	}
}
