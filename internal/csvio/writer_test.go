package csvio

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/japanese"
)

func TestWriteQuoting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fields   []string
		want     string
		wantReps []Replacement
	}{
		{name: "plain", fields: []string{"a", "b", "c"}, want: "a,b,c\r\n"},
		{name: "comma", fields: []string{"a,b", "c"}, want: "\"a,b\",c\r\n"},
		{name: "quote", fields: []string{`say "hi"`}, want: "\"say \"\"hi\"\"\"\r\n"},
		{name: "LF", fields: []string{"x\ny"}, want: "\"x\ny\"\r\n"},
		{name: "CR", fields: []string{"x\ry"}, want: "\"x\ry\"\r\n"},
		{name: "leading space", fields: []string{" a"}, want: "\" a\"\r\n"},
		{name: "trailing space", fields: []string{"a "}, want: "\"a \"\r\n"},
		{name: "ideographic space", fields: []string{"\u3000山田"}, want: "\"\u3000山田\"\r\n"},
		{name: "leading tab", fields: []string{"\ta"}, want: "\"\ta\"\r\n"},
		{name: "inner space", fields: []string{"山田 太郎"}, want: "山田 太郎\r\n"},
		{name: "leading BOM character", fields: []string{"\uFEFFa"}, want: "\"\uFEFFa\"\r\n"},
		{name: "single empty field", fields: []string{""}, want: "\"\"\r\n"},
		{name: "two empty fields", fields: []string{"", ""}, want: ",\r\n"},
		{name: "no fields", fields: nil, want: "\r\n"},
		{name: "japanese", fields: []string{"山田", "東京都"}, want: "山田,東京都\r\n"},
		{name: "formula without guard", fields: []string{"=1+1"}, want: "=1+1\r\n"},
		{name: "emoji kept in UTF-8", fields: []string{"寿司🍣"}, want: "寿司🍣\r\n"},
		{
			name:     "invalid UTF-8 replaced",
			fields:   []string{"ok", "a\xFFb"},
			want:     "ok,a\uFFFDb\r\n",
			wantReps: []Replacement{{Column: 2, Rune: utf8.RuneError}},
		},
		{
			name:     "NUL replaced",
			fields:   []string{"a\x00"},
			want:     "a\uFFFD\r\n",
			wantReps: []Replacement{{Column: 1, Rune: 0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			w := NewWriter(&buf, UTF8, nil)
			reps, err := w.Write(tt.fields)
			require.NoError(t, err)
			require.Equal(t, tt.wantReps, reps)
			require.NoError(t, w.Flush())
			require.Equal(t, tt.want, buf.String())
		})
	}
}

func TestWriteBOM(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		enc     Encoding
		records [][]string
		want    string
	}{
		{name: "bom once", enc: UTF8BOM, records: [][]string{{"a"}, {"b"}}, want: "\xEF\xBB\xBFa\r\nb\r\n"},
		{name: "no records no bom", enc: UTF8BOM, want: ""},
		{name: "utf8 has no bom", enc: UTF8, records: [][]string{{"a"}}, want: "a\r\n"},
		{name: "shift_jis has no bom", enc: ShiftJIS, records: [][]string{{"a"}}, want: "a\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			w := NewWriter(&buf, tt.enc, nil)
			for _, r := range tt.records {
				_, err := w.Write(r)
				require.NoError(t, err)
			}
			require.NoError(t, w.Flush())
			require.Equal(t, tt.want, buf.String())
		})
	}
}

func TestWriteShiftJISReplacements(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fields   []string
		want     []string // fields as read back
		wantReps []Replacement
	}{
		{
			name:   "encodable",
			fields: []string{"山田", "髙橋", "①", "㈱テスト", "﨑", "～", "ｱｲｳ"},
			want:   []string{"山田", "髙橋", "①", "㈱テスト", "﨑", "～", "ｱｲｳ"},
		},
		{
			name:     "emoji and foreign letters",
			fields:   []string{"山田😀", "①", "a🍣b😀", "café", "한국"},
			want:     []string{"山田〓", "①", "a〓b〓", "caf〓", "〓〓"},
			wantReps: []Replacement{{1, '😀'}, {3, '🍣'}, {3, '😀'}, {4, 'é'}, {5, '한'}, {5, '국'}},
		},
		{
			name:     "replacement inside quoted field keeps columns",
			fields:   []string{"a", "x,😀\n\"y\"", "b"},
			want:     []string{"a", "x,〓\n\"y\"", "b"},
			wantReps: []Replacement{{2, '😀'}},
		},
		{
			name:     "invalid UTF-8, NUL and C1 control",
			fields:   []string{"あ\xFF", "\x00", "\u0080"},
			want:     []string{"あ〓", "〓", "〓"},
			wantReps: []Replacement{{1, utf8.RuneError}, {2, 0}, {3, 0x80}},
		},
		{
			name:     "U+FFFD itself",
			fields:   []string{"あ\uFFFD"},
			want:     []string{"あ〓"},
			wantReps: []Replacement{{1, '\uFFFD'}},
		},
		{
			name:     "unencodable kanji",
			fields:   []string{"𠮷野家", "あ"},
			want:     []string{"〓野家", "あ"},
			wantReps: []Replacement{{1, '𠮷'}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			w := NewWriter(&buf, ShiftJIS, nil)
			reps, err := w.Write(tt.fields)
			require.NoError(t, err)
			require.Equal(t, tt.wantReps, reps)
			require.NoError(t, w.Flush())

			// The output is pure Shift_JIS.
			_, err = japanese.ShiftJIS.NewDecoder().Bytes(buf.Bytes())
			require.NoError(t, err)
			require.NotContains(t, buf.String(), "\uFFFD")

			rows, err := readRows(t, buf.Bytes(), nil)
			require.NoError(t, err)
			require.Equal(t, []row{rec(1, tt.want...)}, rows)
		})
	}
}

func TestFormulaGuard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		field string
		want  string // written line without CRLF
	}{
		{"=SUM(A1:A9)", "'=SUM(A1:A9)"},
		{"+81-3-1234-5678", "'+81-3-1234-5678"},
		{"-5", "'-5"},
		{"@cmd", "'@cmd"},
		{"\tx", "'\tx"},
		{"\rx", "\"'\rx\""},
		{"\nx", "\"'\nx\""},
		{"=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""},
		{"'=x", "''=x"},
		{"''-1", "'''-1"},
		{"'x", "'x"},
		{"'", "'"},
		{"a=b", "a=b"},
		{"03-1234-5678", "03-1234-5678"},
		{"＝全角", "＝全角"},
		{"", "\"\""},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			w := NewWriter(&buf, UTF8, &WriterOptions{FormulaGuard: true})
			_, err := w.Write([]string{tt.field})
			require.NoError(t, err)
			require.NoError(t, w.Flush())
			require.Equal(t, tt.want+"\r\n", buf.String())

			rows, err := readRows(t, buf.Bytes(), nil)
			require.NoError(t, err)
			require.Len(t, rows, 1)
			require.Len(t, rows[0].Fields, 1)
			want := strings.ReplaceAll(tt.field, "\r", "\n")
			require.Equal(t, want, Unguard(rows[0].Fields[0]))
		})
	}
}

func TestUnguard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"'=a", "=a"},
		{"'+a", "+a"},
		{"'-1", "-1"},
		{"'@a", "@a"},
		{"'\ta", "\ta"},
		{"'\ra", "\ra"},
		{"'\na", "\na"},
		{"''=a", "'=a"},
		{"'''@", "''@"},
		{"'a", "'a"},
		{"'", "'"},
		{"''", "''"},
		{"'''", "'''"},
		{"", ""},
		{"=a", "=a"},
		{"a'=b", "a'=b"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, Unguard(tt.in))
		})
	}
}

// failWriter fails every write.
type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

// countWriter counts the bytes written to it.
type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	return len(p), nil
}

func TestWriterErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name    string
		enc     Encoding
		w       failWriter
		wantErr error
	}{
		{"unknown encoding", Encoding(7), failWriter{boom}, ErrEncoding},
		{"underlying error", UTF8, failWriter{boom}, boom},
		{"underlying error with bom", UTF8BOM, failWriter{boom}, boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := NewWriter(tt.w, tt.enc, nil)
			var err error
			for i := 0; i < 10_000 && err == nil; i++ {
				_, err = w.Write([]string{"some", "data"})
			}
			if err == nil {
				err = w.Flush()
			}
			require.ErrorIs(t, err, tt.wantErr)
			require.ErrorIs(t, w.Flush(), tt.wantErr)
		})
	}
}

func TestWriterStreams(t *testing.T) {
	t.Parallel()
	for _, enc := range []Encoding{UTF8, UTF8BOM, ShiftJIS} {
		t.Run(enc.String(), func(t *testing.T) {
			t.Parallel()
			var cw countWriter
			w := NewWriter(&cw, enc, nil)
			line := []string{"山田 太郎", "東京都千代田区", "03-1234-5678"}
			for range 10_000 {
				_, err := w.Write(line)
				require.NoError(t, err)
			}
			require.Positive(t, cw.n, "output must reach the writer before Flush")
			require.NoError(t, w.Flush())
			require.Greater(t, cw.n, 10_000*20)
		})
	}
}
