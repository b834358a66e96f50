package csvio

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	records := [][]string{
		{"氏名", "住所", "電話", "メモ"},
		{"山田 髙志", "東京都千代田区1-2-3", "03-1234-5678", "1行目\n2行目\n3行目"},
		{"①番", "㈱テスト, 本社", "﨑", `He said "hi"`},
		{"寿司🍣", "", "  padded  ", "a,b,\"c\""},
		{"x"},
		{""},
		{"", "", ""},
		{"ｶﾀｶﾅ", "～", "＝全角", "\\"},
		{"=1+2", "-5", "@x", "'=y"},
	}
	replaced := func(s string) string { return strings.ReplaceAll(s, "🍣", "〓") }

	tests := []struct {
		name     string
		enc      Encoding
		guard    bool
		wantReps []Replacement // for record 3 (index 3)
		conv     func(string) string
	}{
		{name: "UTF-8", enc: UTF8},
		{name: "UTF-8 BOM", enc: UTF8BOM},
		{name: "Shift_JIS", enc: ShiftJIS, wantReps: []Replacement{{Column: 1, Rune: '🍣'}}, conv: replaced},
		{name: "UTF-8 guarded", enc: UTF8, guard: true},
		{name: "Shift_JIS guarded", enc: ShiftJIS, guard: true, wantReps: []Replacement{{Column: 1, Rune: '🍣'}}, conv: replaced},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			w := NewWriter(&buf, tt.enc, &WriterOptions{FormulaGuard: tt.guard})
			for i, r := range records {
				reps, err := w.Write(r)
				require.NoError(t, err)
				if i == 3 {
					require.Equal(t, tt.wantReps, reps)
				} else {
					require.Empty(t, reps)
				}
			}
			require.NoError(t, w.Flush())

			r, err := NewReader(bytes.NewReader(buf.Bytes()), nil)
			require.NoError(t, err)
			require.Equal(t, tt.enc, r.Encoding())

			line := 1
			for _, want := range records {
				got, err := r.Read()
				require.NoError(t, err)
				require.Equal(t, line, got.Line)
				require.Len(t, got.Fields, len(want))
				for j, f := range got.Fields {
					if tt.guard {
						f = Unguard(f)
					}
					w := want[j]
					if tt.conv != nil {
						w = tt.conv(w)
					}
					require.Equal(t, w, f, "line %d column %d", line, j+1)
				}
				for _, f := range want {
					line += strings.Count(f, "\n")
				}
				line++
			}
			_, err = r.Read()
			require.ErrorIs(t, err, io.EOF)
		})
	}
}
