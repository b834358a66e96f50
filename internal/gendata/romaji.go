package gendata

import "strings"

// kanaRomaji maps each full-width katakana to its Hepburn syllable.
var kanaRomaji = map[rune]string{
	'ア': "a", 'イ': "i", 'ウ': "u", 'エ': "e", 'オ': "o",
	'カ': "ka", 'キ': "ki", 'ク': "ku", 'ケ': "ke", 'コ': "ko",
	'ガ': "ga", 'ギ': "gi", 'グ': "gu", 'ゲ': "ge", 'ゴ': "go",
	'サ': "sa", 'シ': "shi", 'ス': "su", 'セ': "se", 'ソ': "so",
	'ザ': "za", 'ジ': "ji", 'ズ': "zu", 'ゼ': "ze", 'ゾ': "zo",
	'タ': "ta", 'チ': "chi", 'ツ': "tsu", 'テ': "te", 'ト': "to",
	'ダ': "da", 'ヂ': "ji", 'ヅ': "zu", 'デ': "de", 'ド': "do",
	'ナ': "na", 'ニ': "ni", 'ヌ': "nu", 'ネ': "ne", 'ノ': "no",
	'ハ': "ha", 'ヒ': "hi", 'フ': "fu", 'ヘ': "he", 'ホ': "ho",
	'バ': "ba", 'ビ': "bi", 'ブ': "bu", 'ベ': "be", 'ボ': "bo",
	'パ': "pa", 'ピ': "pi", 'プ': "pu", 'ペ': "pe", 'ポ': "po",
	'マ': "ma", 'ミ': "mi", 'ム': "mu", 'メ': "me", 'モ': "mo",
	'ヤ': "ya", 'ユ': "yu", 'ヨ': "yo",
	'ラ': "ra", 'リ': "ri", 'ル': "ru", 'レ': "re", 'ロ': "ro",
	'ワ': "wa", 'ヲ': "o", 'ン': "n", 'ヴ': "vu",
	'ァ': "a", 'ィ': "i", 'ゥ': "u", 'ェ': "e", 'ォ': "o",
}

// kanaBase is the first rune of the katakana block.
const kanaBase = 0x30a0

// kanaTable is kanaRomaji as an array indexed by rune - kanaBase.
var kanaTable = func() (t [0x60]string) {
	for r, s := range kanaRomaji {
		t[r-kanaBase] = s
	}
	return t
}()

// lookupKana returns the syllable for r, or "" if r is not covered.
func lookupKana(r rune) string {
	if r < kanaBase || r >= kanaBase+0x60 {
		return ""
	}
	return kanaTable[r-kanaBase]
}

// smallY returns the vowel contributed by a small ya/yu/yo.
func smallY(r rune) (byte, bool) {
	switch r {
	case 'ャ':
		return 'a', true
	case 'ュ':
		return 'u', true
	case 'ョ':
		return 'o', true
	}
	return 0, false
}

// smallVowel returns the vowel of a small vowel kana (used in loan-word
// combinations such as ティ or ファ).
func smallVowel(r rune) (byte, bool) {
	switch r {
	case 'ァ':
		return 'a', true
	case 'ィ':
		return 'i', true
	case 'ゥ':
		return 'u', true
	case 'ェ':
		return 'e', true
	case 'ォ':
		return 'o', true
	}
	return 0, false
}

// Romanize converts a katakana reading to lower-case ASCII in the style
// used on Japanese passports: Hepburn spelling, long vowels written once
// (サトウ → sato, オオノ → ono, ユウイチ → yuichi, but イノウエ → inoue), ッ
// doubling the next consonant (ハットリ → hattori, tch before チ) and ン
// always written n. The long-vowel mark ー, spaces and the middle dot are
// dropped. ok is false if s contains a rune that is not covered, in which
// case that rune is skipped.
func Romanize(s string) (romaji string, ok bool) {
	var buf [32]rune
	rs := append(buf[:0], []rune(s)...)
	var b strings.Builder
	b.Grow(len(rs) * 3)
	ok = true
	lastVowel := byte(0)
	geminate := false
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch c {
		case 'ー', '\u3000', ' ', '・':
			continue
		case 'ッ':
			geminate = true
			continue
		}
		syl := lookupKana(c)
		if syl == "" {
			ok = false
			continue
		}
		// Combine with a following small kana.
		if i+1 < len(rs) {
			if v, y := smallY(rs[i+1]); y && len(syl) >= 2 && syl[len(syl)-1] == 'i' {
				stem := syl[:len(syl)-1]
				switch stem {
				case "sh", "ch", "j":
					syl = stem + string(v)
				default:
					syl = stem + "y" + string(v)
				}
				i++
			} else if v, sv := smallVowel(rs[i+1]); sv && len(syl) >= 1 {
				stem := syl[:len(syl)-1]
				if stem == "" {
					stem = "w"
				}
				syl = stem + string(v)
				i++
			}
		}
		// Drop the second half of a long vowel (ou, uu, oo) unless the next
		// kana starts a new vowel-initial morpheme (イノウエ keeps its u).
		if len(syl) == 1 && (c == 'ウ' || c == 'オ') {
			next := rune(0)
			if i+1 < len(rs) {
				next = rs[i+1]
			}
			if (lastVowel == 'o' || (lastVowel == 'u' && c == 'ウ')) && next != 'エ' && next != 'ア' {
				continue
			}
		}
		if geminate {
			switch {
			case strings.HasPrefix(syl, "ch"):
				b.WriteByte('t')
			case syl[0] != 'a' && syl[0] != 'i' && syl[0] != 'u' && syl[0] != 'e' && syl[0] != 'o' && syl != "n":
				b.WriteByte(syl[0])
			}
			geminate = false
		}
		b.WriteString(syl)
		lastVowel = syl[len(syl)-1]
		if syl == "n" {
			lastVowel = 0
		}
	}
	return b.String(), ok
}
