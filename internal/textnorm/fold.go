package textnorm

import "strings"

// Folding of variant characters in search keys (step 6 of Key, see the
// package documentation). Only the key is folded: stored text keeps the
// character the user typed, so 髙橋 is still displayed as 髙橋.

// variantKanji maps a variant kanji (異体字) used in Japanese names to the
// form it is searched as.
//
// Sources. The pairs are variant relations recorded in the Unicode Han
// Database (Unicode Standard Annex #38, Unihan_Variants.txt: the fields
// kZVariant, kSemanticVariant and kSpecializedSemanticVariant), restricted
// to kanji that occur in Japanese family and given names. Where a pair is
// also listed in 戸籍法施行規則 別表第二 (人名用漢字) part 二, the table of
// traditional forms allowed in names beside their 常用漢字 form (國・国,
// 澤・沢, 廣・広, 德・徳, 濱・浜, 齋・斎, 龍・竜, …), the target is the 常用漢字
// form it names. The target is otherwise the character of JIS X 0208 level
// 1 (髙 → 高, 﨑 and 嵜 → 崎, 邉 → 辺, 嶋 → 島). One deliberate extension: 齊
// and 斉 (sai, "equal") fold with 齋 and 斎 (sai, "purify") although Unihan
// keeps the two families apart, because 斉藤, 齊藤, 斎藤 and 齋藤 are spellings
// of one family name that people search for interchangeably.
//
// The table was written by hand from those sources. Every target is a fixed
// point (no target is itself a key), which keeps Key idempotent; the tests
// check that.
var variantKanji = map[rune]rune{
	'髙': '高',
	'﨑': '崎', '嵜': '崎',
	'齋': '斎', '齊': '斎', '斉': '斎',
	'邊': '辺', '邉': '辺',
	'濵': '浜', '濱': '浜',
	'德': '徳',
	'槇': '槙',
	'桒': '桑',
	'篭': '籠',
	'冨': '富',
	'嶋': '島', '嶌': '島',
	'國': '国', '圀': '国',
	'澤': '沢',
	'廣': '広',
	'𠮷': '吉',
	'邨': '村',
	'榮': '栄',
	'櫻': '桜',
	'龍': '竜',
	'藏': '蔵',
	'眞': '真',
	'惠': '恵',
	'壽': '寿',
	'實': '実',
	'淺': '浅',
	'條': '条',
	'黑': '黒',
	'關': '関',
	'瀨': '瀬',
	'曾': '曽',
	'增': '増',
	'舘': '館',
	'峯': '峰',
	'嶽': '岳',
	'萬': '万',
	'彌': '弥',
	'渕': '淵',
	'檜': '桧',
	'鷗': '鴎',
	'總': '総',
	'來': '来',
	'淸': '清',
	'靑': '青',
	'埜': '野',
	'栁': '柳',
	'恆': '恒',
	'劍': '剣', '剱': '剣',
	'籔': '藪',
}

// cp932Twins maps one character of each CP932 twin pair to the other
// (after NFKC, which already unifies ￠ ¢, ￡ £, ￢ ¬, ＼ \ and turns ～
// into ~ and － into -). Shift_JIS cannot keep the pair apart: JIS X 0208
// maps the byte to the first character, Microsoft's CP932 to the second, so
// text that went through Excel comes back with the other one. Source: the
// differences between the JIS X 0208 and CP932 tables as published by
// Microsoft (Windows code page 932) and the Unicode consortium's
// JIS0208.TXT, bytes 0x815C, 0x8160, 0x8161 and 0x817C.
var cp932Twins = map[rune]rune{
	'\u301C': '~',      // 〜 WAVE DASH; CP932 ～ U+FF5E, which NFKC makes ~
	'\u2212': '-',      // − MINUS SIGN; CP932 － U+FF0D, which NFKC makes -
	'\u2225': '\u2016', // ∥ PARALLEL TO (CP932); JIS ‖ DOUBLE VERTICAL LINE
	'\u2014': '\u2015', // — EM DASH (JIS); CP932 ― HORIZONTAL BAR
}

// foldBits marks the BMP runes that fold, so that Key pays a map lookup
// only for them; runes outside the BMP are looked up directly (they are
// rare in text).
var foldBits = func() *[0x10000 / 64]uint64 {
	var bits [0x10000 / 64]uint64
	for _, m := range []map[rune]rune{variantKanji, cp932Twins} {
		for r := range m {
			if r < 0x10000 {
				bits[r/64] |= 1 << (r % 64)
			}
		}
	}
	return &bits
}()

// isVariationSelector reports whether r selects a glyph variant of the
// preceding character (U+FE00–U+FE0F, U+E0100–U+E01EF, including the
// Ideographic Variation Sequences such as 辻 with one or two dots). A
// selector changes the glyph, never the character, so keys drop it.
func isVariationSelector(r rune) bool {
	return (r >= 0xFE00 && r <= 0xFE0F) || (r >= 0xE0100 && r <= 0xE01EF)
}

// fold returns the rune r is searched as and whether r is kept at all
// (variation selectors are dropped).
func fold(r rune) (rune, bool) {
	if r < 0x10000 {
		if foldBits[r/64]&(1<<(r%64)) == 0 {
			return r, !isVariationSelector(r)
		}
	} else if isVariationSelector(r) {
		return r, false
	}
	if to, ok := variantKanji[r]; ok {
		return to, true
	}
	if to, ok := cp932Twins[r]; ok {
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
