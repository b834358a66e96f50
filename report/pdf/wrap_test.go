package pdf

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWrap(t *testing.T) {
	t.Parallel()
	one := func(r rune) float64 {
		if r < 0x80 {
			return 0.5
		}
		return 1
	}
	for _, tc := range []struct {
		name  string
		text  string
		width float64
		want  []string
	}{
		{"fits", "あいう", 5, []string{"あいう"}},
		{"plain break", "あいうえおかきく", 5, []string{"あいうえお", "かきく"}},
		{"period pushes the last character down", "あいうえお。かき", 5, []string{"あいうえ", "お。かき"}},
		{"comma and closing bracket", "「あいう」、えお", 5, []string{"「あい", "う」、えお"}},
		{"small kana", "あいうえきょう", 5, []string{"あいうえ", "きょう"}},
		{"opening bracket does not end a line", "あいうえ「お」", 5, []string{"あいうえ", "「お」"}},
		{"long vowel", "あいうえコーヒー", 5, []string{"あいうえ", "コーヒー"}},
		{"line breaks kept", "あ\n\nい", 5, []string{"あ", "", "い"}},
		{"latin words break at spaces", "hello world foo", 5, []string{"hello", "world foo"}},
		{"word longer than a line is cut", "abcdefghijklmnop", 4, []string{"abcdefgh", "ijklmnop"}},
		{"latin after japanese", "あいうえABC", 5, []string{"あいうえ", "ABC"}},
		{"all forbidden falls back", "。。。。。。。", 5, []string{"。。。。。", "。。"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := wrap(tc.text, tc.width, one)
			require.Equal(t, tc.want, got)
			require.Equal(t, strings.ReplaceAll(strings.ReplaceAll(tc.text, " ", ""), "\n", ""),
				strings.ReplaceAll(strings.Join(got, ""), " ", ""), "no character is lost")
		})
	}
}
