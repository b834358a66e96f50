package pdf

import (
	"strings"
	"unicode"
)

// Japanese line-breaking rules (禁則処理, after JIS X 4051): a line may not
// start with closing brackets, sentence punctuation, small kana or the
// prolonged sound mark, nor end with an opening bracket.
const (
	noLineStart = "、。，．,.・：；:;？！?!゛゜ヽヾゝゞ々〻ー‐゠–〜～…‥" +
		"）〕］｝〉》」』】〙〗〟’”｠»)]}" +
		"ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ" +
		"%％℃°′″"
	noLineEnd = "（〔［｛〈《「『【〘〖〝‘“｟«([{¥￥$＄#＃"
)

// wrap breaks text into lines no wider than width, as measured by w.
// Line breaks in text are kept; Japanese text breaks between any two
// characters, except where 禁則 forbids it (the character that would start
// a line is pushed down with the one before it: 追い出し), and runs of Latin
// letters and digits break only at spaces unless a run alone is wider than
// a line. Spaces at a break are dropped.
func wrap(text string, width float64, w func(rune) float64) []string {
	var out []string
	for para := range strings.SplitSeq(text, "\n") {
		out = append(out, wrapParagraph([]rune(strings.TrimRight(para, "\r")), width, w)...)
	}
	return out
}

func wrapParagraph(rs []rune, width float64, w func(rune) float64) []string {
	if len(rs) == 0 {
		return []string{""}
	}
	var lines []string
	start, cur := 0, 0.0
	for i := 0; i < len(rs); i++ {
		cw := w(rs[i])
		if cur+cw <= width || i == start {
			cur += cw
			continue
		}
		b := breakAt(rs, start, i)
		lines = append(lines, strings.TrimRight(string(rs[start:b]), " "))
		for b < len(rs) && rs[b] == ' ' {
			b++
		}
		start, cur = b, 0
		i = b - 1
	}
	if start < len(rs) {
		lines = append(lines, string(rs[start:]))
	}
	return lines
}

// breakAt chooses where to break a line of rs that starts at start and
// overflows at i (start < i): at i when allowed, else earlier; at i again
// when no earlier place is allowed.
func breakAt(rs []rune, start, i int) int {
	if rs[i] == ' ' {
		return i
	}
	b := i
	// Keep a Latin word whole: break at its start (after a space or a
	// Japanese character).
	for b > start && isWordRune(rs[b-1]) && isWordRune(rs[b]) {
		b--
	}
	if b == start {
		b = i
	}
	for b > start && !breakable(rs, b) {
		b--
	}
	if b == start {
		return i
	}
	return b
}

// breakable reports whether a line may break before rs[b].
func breakable(rs []rune, b int) bool {
	return !strings.ContainsRune(noLineStart, rs[b]) && !strings.ContainsRune(noLineEnd, rs[b-1]) &&
		!(isWordRune(rs[b-1]) && isWordRune(rs[b]))
}

func isWordRune(r rune) bool {
	return r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '\'' || r == '_' || r == '@')
}
