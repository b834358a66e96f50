package textnorm

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

const (
	// Standalone (spacing) sound marks and their combining counterparts.
	spacingDakuten      = '\u309B' // ゛
	spacingHandakuten   = '\u309C' // ゜
	combiningDakuten    = '\u3099'
	combiningHandakuten = '\u309A'

	// Katakana and hiragana blocks that map one to one.
	kataFirst  = '\u30A1' // ァ
	kataLast   = '\u30F6' // ヶ
	hiraFirst  = '\u3041' // ぁ
	hiraLast   = '\u3096' // ゖ
	kanaOffset = kataFirst - hiraFirst

	hiraIter       = '\u309D' // ゝ
	hiraIterVoiced = '\u309E' // ゞ
	kataIter       = '\u30FD' // ヽ
	kataIterVoiced = '\u30FE' // ヾ

	ideographicSpace = '\u3000'
)

// voicedWa maps ヷヸヹヺ to the hiragana base that, followed by U+3099, is
// their decomposition.
var voicedWa = map[rune]rune{
	'\u30F7': 'わ', // ヷ
	'\u30F8': 'ゐ', // ヸ
	'\u30F9': 'ゑ', // ヹ
	'\u30FA': 'を', // ヺ
}

// premapSoundMarks replaces the spacing sound marks ゛ and ゜ with the
// combining marks, so that NFKC composes "か゛" into "が".
func premapSoundMarks(s string) string {
	if !strings.ContainsRune(s, spacingDakuten) && !strings.ContainsRune(s, spacingHandakuten) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case spacingDakuten:
			return combiningDakuten
		case spacingHandakuten:
			return combiningHandakuten
		}
		return r
	}, s)
}

// maxNormRounds bounds the NFKC/lower-case rounds of lowerNFKC. Two rounds
// suffice for every input the tests and fuzzing have found; the bound only
// guards against an unforeseen cycle.
const maxNormRounds = 4

// lowerNFKC returns NFKC(s) in lower case. Lower-casing can produce text that
// NFKC changes again (for example "W\u030A" becomes "w\u030A", which NFKC
// composes to "ẘ"), so both steps are repeated until the text is in NFKC.
func lowerNFKC(s string) string {
	n := norm.NFKC.String(s)
	if s = strings.ToLower(n); s == n {
		// Nothing to lower: s is NFKC(s), which NFKC keeps as it is.
		return s
	}
	for i := 1; i < maxNormRounds && !norm.NFKC.IsNormalString(s); i++ {
		s = strings.ToLower(norm.NFKC.String(s))
	}
	return s
}

// Key returns the search key of s: ゛/゜ read as combining marks, NFKC,
// lower case, katakana mapped to hiragana, white-space runs collapsed to a
// single ASCII space with no leading or trailing space, variant kanji and
// CP932 twins folded and variation selectors dropped. See the package
// documentation for the exact rules. Key is idempotent.
func Key(s string) string {
	s = lowerNFKC(premapSoundMarks(s))
	return collapseSpace(s, ' ', func(b *strings.Builder, r rune) {
		switch {
		case r >= kataFirst && r <= kataLast:
			b.WriteRune(r - kanaOffset)
		case r == kataIter:
			b.WriteRune(hiraIter)
		case r == kataIterVoiced:
			b.WriteRune(hiraIterVoiced)
		default:
			if base, ok := voicedWa[r]; ok {
				b.WriteRune(base)
				b.WriteRune(combiningDakuten)
			} else if to, keep := fold(r); keep {
				b.WriteRune(to)
			}
		}
	})
}

// collapseSpace writes the runes of s through write, with every run of
// white space replaced by one sep and none at either end.
func collapseSpace(s string, sep rune, write func(b *strings.Builder, r rune)) string {
	var b strings.Builder
	b.Grow(len(s))
	pendingSpace := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			pendingSpace = b.Len() > 0
			continue
		}
		if pendingSpace {
			b.WriteRune(sep)
			pendingSpace = false
		}
		write(&b, r)
	}
	return b.String()
}

// Digits returns the ASCII digits 0-9 of the NFKC form of s, in order, and
// drops everything else: Digits("０９０-1234-5678") == "09012345678".
func Digits(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Katakana normalizes a reading (フリガナ): ゛/゜ read as combining marks,
// NFKC, hiragana mapped to katakana, white-space runs collapsed to a single
// ideographic space U+3000, trimmed. ok reports whether the result consists
// only of katakana (see the package documentation for the accepted set) and
// U+3000. The normalized string is returned even when ok is false. The empty
// string yields ("", true).
func Katakana(s string) (string, bool) {
	s = norm.NFKC.String(premapSoundMarks(s))
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= hiraFirst && r <= hiraLast:
			return r + kanaOffset
		case r == hiraIter:
			return kataIter
		case r == hiraIterVoiced:
			return kataIterVoiced
		}
		return r
	}, s)
	// わ゙ and friends only have precomposed forms in katakana, so compose
	// again now that the bases are katakana.
	s = norm.NFC.String(s)

	ok := true
	s = collapseSpace(s, ideographicSpace, func(b *strings.Builder, r rune) {
		ok = ok && isKatakana(r)
		b.WriteRune(r)
	})
	return s, ok
}

// isKatakana reports whether r is accepted in a reading.
func isKatakana(r rune) bool {
	switch {
	case r >= '\u30A1' && r <= '\u30FA': // ァ..ヺ
		return true
	case r >= '\u30FB' && r <= '\u30FE': // ・ ー ヽ ヾ
		return true
	case r >= '\u31F0' && r <= '\u31FF': // ㇰ..ㇿ
		return true
	}
	return false
}

// Bigrams returns the distinct two-rune substrings of key, which should
// already be a search key produced by [Key], in first-seen order. Pairs that
// contain white space and pairs whose two runes are both ASCII are skipped.
// It returns nil when there is no such pair.
func Bigrams(key string) []string {
	runes := []rune(key)
	if len(runes) < 2 {
		return nil
	}
	var out []string
	// Keyed by the pair, so that a repeated pair costs no string.
	seen := make(map[[2]rune]struct{}, len(runes))
	for i := 0; i+1 < len(runes); i++ {
		a, c := runes[i], runes[i+1]
		if unicode.IsSpace(a) || unicode.IsSpace(c) {
			continue
		}
		if a <= unicode.MaxASCII && c <= unicode.MaxASCII {
			continue
		}
		pair := [2]rune{a, c}
		if _, dup := seen[pair]; dup {
			continue
		}
		seen[pair] = struct{}{}
		out = append(out, string(runes[i:i+2]))
	}
	return out
}

// Terms returns the distinct space-separated terms of Key(query), in
// first-seen order. It returns nil when the query has no terms.
func Terms(query string) []string {
	fields := strings.Fields(Key(query))
	if len(fields) == 0 {
		return nil
	}
	out := fields[:0]
	seen := make(map[string]struct{}, len(fields))
	for _, f := range fields {
		if _, dup := seen[f]; dup {
			continue
		}
		seen[f] = struct{}{}
		out = append(out, f)
	}
	return out
}

// ASCIITrigrams returns the distinct three-rune substrings of key (a search
// key produced by [Key]) whose runes are all ASCII and none white space, in
// first-seen order: the grams of the ASCII runs (digits, Latin words) that
// [Bigrams] skips. It returns nil when there is no such substring.
func ASCIITrigrams(key string) []string {
	var out []string
	run := 0 // length of the current run of ASCII non-space bytes
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c >= utf8.RuneSelf || unicode.IsSpace(rune(c)) {
			run = 0
			continue
		}
		if run++; run >= 3 {
			if g := key[i-2 : i+1]; !slices.Contains(out, g) {
				out = append(out, g)
			}
		}
	}
	return out
}
