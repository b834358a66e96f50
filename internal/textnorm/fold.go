package textnorm

import "strings"

// Folding of variant characters in search keys (step 6 of Key, see the
// package documentation). Only the key is folded: stored text keeps the
// character the user typed, so 髙橋 is still displayed as 髙橋.

// variantKanji maps a variant kanji (異体字) used in Japanese names to the
// form it is searched as. It was written by hand from three sources, one
// group each below; every target is a fixed point (no target is itself a
// key), which keeps Key idempotent, and the tests check that.
var variantKanji = map[rune]rune{
	// Pairs that the Unicode Han Database links (UAX #38, file
	// Unihan_Variants.txt, Unicode 15.0; checked against that file): the
	// field is kSemanticVariant unless noted.
	'髙': '高',
	'﨑': '崎', '嵜': '崎',
	'邨': '村',
	'舘': '館',
	'峯': '峰',
	'埜': '野',
	'栁': '柳',
	'𠮷': '吉', // kSpoofingVariant
	'黑': '黒', // kZVariant
	'檜': '桧', // kSimplifiedVariant
	'龍': '竜', // kSpecializedSemanticVariant

	// 旧字体 that the 常用漢字表 (平成22年内閣告示第2号) prints in brackets
	// beside the standard form, and that 戸籍法施行規則 別表第二 (人名用漢字)
	// allows in names; the target is the 常用漢字. (Unihan links some of
	// them too: 國, 眞, 壽, 淺, 條, 關, 萬, 彌, 來, 恆.)
	'國': '国',
	'澤': '沢',
	'廣': '広',
	'德': '徳',
	'濱': '浜',
	'齋': '斎',
	'邊': '辺',
	'榮': '栄',
	'櫻': '桜',
	'藏': '蔵',
	'眞': '真',
	'惠': '恵',
	'壽': '寿',
	'實': '実',
	'淺': '浅',
	'條': '条',
	'關': '関',
	'瀨': '瀬',
	'曾': '曽',
	'增': '増',
	'萬': '万',
	'彌': '弥',
	'總': '総',
	'來': '来',
	'劍': '剣',
	'恆': '恒',
	'嶽': '岳',
	'淸': '清',
	'靑': '青',

	// Spellings of the same family names that neither source links to the
	// common form (渡邉/渡辺, 嶋田/島田, 冨田/富田, 桒原/桑原, …): JIS X 0208
	// and JIS X 0213 code them as separate characters for names. Added by
	// hand. 齊 and 斉 ("equal") are folded with 齋 and 斎 ("purify"), which
	// Unihan keeps apart, because 斉藤, 齊藤, 斎藤 and 齋藤 are spellings of
	// one family name that people search for interchangeably.
	'邉': '辺',
	'濵': '浜',
	'齊': '斎', '斉': '斎',
	'槇': '槙',
	'桒': '桑',
	'篭': '籠',
	'冨': '富',
	'嶋': '島', '嶌': '島',
	'圀': '国',
	'渕': '淵',
	'籔': '藪',
	'剱': '剣',
	'鷗': '鴎',
}

// cp932Twins maps one character of each CP932 twin pair to the other
// (after NFKC, which already unifies ￠ ¢, ￡ £, ￢ ¬, ＼ \ and turns ～
// into ~ and － into -). Shift_JIS cannot keep a pair apart: a JIS X 0208
// decoder reads the byte as the first character, Microsoft's CP932 as the
// second, so text that went through Excel comes back with the other one.
// Source: the JIS X 0208 and CP932 mapping tables, compared byte by byte
// (as Python's shift_jis and cp932 codecs implement them): 0x8160 〜/～,
// 0x8161 ‖/∥, 0x817C −/－, 0x8191 ¢/￠, 0x8192 £/￡, 0x81CA ¬/￢, 0x815F
// ＼/\; and 0x815C, which CP932 reads as ― U+2015 and the JIS X 0208:1997
// mapping as — U+2014.
var cp932Twins = map[rune]rune{
	'\u301C': '~',      // 〜 WAVE DASH; CP932 ～ U+FF5E, which NFKC makes ~
	'\u2212': '-',      // − MINUS SIGN; CP932 － U+FF0D, which NFKC makes -
	'\u2225': '\u2016', // ∥ PARALLEL TO (CP932); JIS ‖ DOUBLE VERTICAL LINE
	'\u2014': '\u2015', // — EM DASH (JIS); CP932 ― HORIZONTAL BAR
}

// folds is variantKanji and cp932Twins in one map, and foldBits marks its
// BMP keys, so that Key pays a map lookup only for runes that fold (runes
// outside the BMP, rare in text, are looked up directly).
var folds, foldBits = func() (map[rune]rune, *[0x10000 / 64]uint64) {
	m := make(map[rune]rune, len(variantKanji)+len(cp932Twins))
	var bits [0x10000 / 64]uint64
	for _, t := range []map[rune]rune{variantKanji, cp932Twins} {
		for from, to := range t {
			m[from] = to
			if from < 0x10000 {
				bits[from/64] |= 1 << (from % 64)
			}
		}
	}
	return m, &bits
}()

// isVariationSelector reports whether r selects a glyph variant of the
// preceding character (U+FE00–U+FE0F, U+E0100–U+E01EF, including the
// Ideographic Variation Sequences such as 辻 with one or two dots). A
// selector changes the glyph, never the character, so keys drop it.
func isVariationSelector(r rune) bool {
	return (r >= 0xFE00 && r <= 0xFE0F) || (r >= 0xE0100 && r <= 0xE01EF)
}

// firstFold is the smallest rune that folds or is dropped (— U+2014).
const firstFold = '\u2014'

// fold returns the rune r is searched as and whether r is kept at all
// (variation selectors are dropped).
func fold(r rune) (rune, bool) {
	switch {
	case r < firstFold:
		return r, true
	case r < 0x10000 && foldBits[r/64]&(1<<(r%64)) == 0:
		return r, !isVariationSelector(r)
	case isVariationSelector(r):
		return r, false
	}
	if to, ok := folds[r]; ok {
		return to, true
	}
	return r, true
}

// FoldVariants returns s with the folds of Key's step 6 applied and
// nothing else: variant kanji replaced by the form they are searched as
// (髙橋 → 高橋), CP932 twins unified, variation selectors dropped. It is for
// callers that need a name in its searchable spelling but not a key (a
// dictionary lookup, say).
func FoldVariants(s string) string {
	return strings.Map(func(r rune) rune {
		if to, keep := fold(r); keep {
			return to
		}
		return -1
	}, s)
}
