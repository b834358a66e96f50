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
	if k, ok := plainKey(s); ok {
		return k
	}
	return fullKey(s)
}

// fullKey is Key for any text, step by step.
func fullKey(s string) string {
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

// Plain runes are those that NFKC leaves as they are and composes with
// nothing, and that lower-casing leaves alone unless they are ASCII: ASCII,
// the ideographic space, hiragana and katakana letters without sound or
// iteration marks, ー, ・ and the CJK unified ideographs. Most of what is
// typed into a Japanese customer ledger is plain.
const (
	ideoFirst = '\u4E00'
	ideoLast  = '\u9FFF'
	kanaDot   = '\u30FB' // ・
	kanaLong  = '\u30FC' // ー
)

// plainKey is Key for text made of plain runes only, in one pass and without
// allocating when s is already its own key; ok is false (and Key must take
// the full path) when s holds any other rune. For plain text NFKC changes
// nothing, so Key is lower-casing ASCII, katakana to hiragana, folding
// variant kanji and collapsing white space.
func plainKey(s string) (key string, ok bool) {
	same := true
	space := true // at the start or after white space
	for i := 0; i < len(s); {
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		i += n
		switch {
		case r == ' ':
			same = same && !space
			space = true
			continue
		case r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r' || r == ideographicSpace:
			same, space = false, true
			continue
		case r < utf8.RuneSelf:
			same = same && (r < 'A' || r > 'Z')
		case r >= kataFirst && r <= kataLast:
			same = false
		case r >= hiraFirst && r <= hiraLast, r == kanaDot, r == kanaLong:
		case r >= ideoFirst && r <= ideoLast:
			same = same && foldBits[r/64]&(1<<(r%64)) == 0
		default:
			return "", false
		}
		space = false
	}
	if same && (!space || s == "") {
		return s, true
	}
	return collapseSpace(s, ' ', func(b *strings.Builder, r rune) {
		switch {
		case r >= 'A' && r <= 'Z':
			b.WriteByte(byte(r - 'A' + 'a'))
		case r >= kataFirst && r <= kataLast:
			b.WriteRune(r - kanaOffset)
		case r < utf8.RuneSelf:
			b.WriteByte(byte(r))
		default:
			to, _ := fold(r)
			b.WriteRune(to)
		}
	}), true
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
	if k, ok := plainKatakana(s); ok {
		return k, true
	}
	return fullKatakana(s)
}

// fullKatakana is Katakana for any reading, step by step.
func fullKatakana(s string) (string, bool) {
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

// plainKatakana is Katakana for a reading made only of hiragana and
// katakana letters (U+3041–U+3096, U+30A1–U+30FA), ・, ー and white space
// (which NFKC and NFC leave as they are), in one pass and without
// allocating when s is already normalized; ok is false (and Katakana must
// take the full path) for any other reading. Such a reading is always valid.
func plainKatakana(s string) (kana string, ok bool) {
	same := true
	space := true // at the start or after white space
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == ideographicSpace:
			same = same && !space
			space = true
			continue
		case r == ' ' || r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r':
			same, space = false, true
			continue
		case r >= hiraFirst && r <= hiraLast:
			same = false
		case r >= kataFirst && r <= '\u30FA', r == kanaDot, r == kanaLong:
		default:
			return "", false
		}
		space = false
	}
	if same && (!space || s == "") {
		return s, true
	}
	return collapseSpace(s, ideographicSpace, func(b *strings.Builder, r rune) {
		if r >= hiraFirst && r <= hiraLast {
			r += kanaOffset
		}
		b.WriteRune(r)
	}), true
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
	n := utf8.RuneCountInString(key)
	if n < 2 {
		return nil
	}
	var seen pairSet
	var slots [256]uint64
	if size := pairSlots(n); size <= len(slots) {
		seen.slots = slots[:size]
	} else {
		seen.slots = make([]uint64, size)
	}
	// The byte offsets of each new pair's first rune, so that out is
	// allocated once at its length.
	var starts []int
	var startsBuf [128]int
	starts = startsBuf[:0]
	a, aSize := utf8.DecodeRuneInString(key)
	for i := aSize; i < len(key); {
		c, cSize := utf8.DecodeRuneInString(key[i:])
		if !unicode.IsSpace(a) && !unicode.IsSpace(c) && (a > unicode.MaxASCII || c > unicode.MaxASCII) && seen.add(a, c) {
			starts = append(starts, i-aSize)
		}
		a, aSize = c, cSize
		i += cSize
	}
	if len(starts) == 0 {
		return nil
	}
	out := make([]string, len(starts))
	for k, i := range starts {
		a, aSize := utf8.DecodeRuneInString(key[i:])
		c, cSize := utf8.DecodeRuneInString(key[i+aSize:])
		if (a == utf8.RuneError && aSize == 1) || (c == utf8.RuneError && cSize == 1) {
			// Invalid UTF-8 reads as U+FFFD, which the pair spells.
			out[k] = string([]rune{a, c})
		} else {
			// The pair's own bytes: no copy.
			out[k] = key[i : i+aSize+cSize]
		}
	}
	return out
}

// pairSet is a set of rune pairs, at least one of them not ASCII, in an
// open-addressed table of a power-of-two size, twice the most pairs it
// holds: each slot is a pair packed in a uint64, zero when free (no pair
// packs to zero since one rune is not ASCII).
type pairSet struct{ slots []uint64 }

// pairSlots is the table size for a set of up to n pairs.
func pairSlots(n int) int {
	size := 16
	for size < 2*n {
		size *= 2
	}
	return size
}

// add adds the pair (a, c) and reports whether it was new.
func (p pairSet) add(a, c rune) bool {
	k := uint64(uint32(a))<<32 | uint64(uint32(c))
	mask := uint64(len(p.slots) - 1)
	for i := (k * 0x9E3779B97F4A7C15) >> 40 & mask; ; i = (i + 1) & mask {
		switch p.slots[i] {
		case k:
			return false
		case 0:
			p.slots[i] = k
			return true
		}
	}
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
