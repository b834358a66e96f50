// Package textnorm normalizes Japanese (and mixed Japanese/Latin) text into
// search keys, phone digits and katakana readings.
//
// The package is pure: it has no state, performs no I/O, and every function is
// safe for concurrent use.
//
// # Search keys
//
// [Key] turns any text into its search key. The same function is applied to
// stored text and to queries, so two texts that differ only in the ways listed
// below have the same key and therefore match each other. The steps, in
// order, are:
//
//  1. The standalone sound marks ゛ (U+309B) and ゜ (U+309C) are replaced by
//     the combining marks U+3099 and U+309A, so that "か゛" is read as "が".
//     (NFKC alone would turn ゛ into a space followed by a combining mark.)
//  2. Unicode NFKC normalization. Among other things this turns half-width
//     katakana into full-width katakana (ｶﾞ → ガ), full-width ASCII into ASCII
//     (ＡＢＣ１ → ABC1), composes base letters with combining marks, and
//     expands compatibility characters (㈱ → (株), ㍻ → 平成, ① → 1).
//     Ordinary kanji are unchanged here, including variants such as 髙 (NFKC
//     does not unify it with 高; step 6 does).
//  3. Lower-casing with the Unicode simple lower-case mapping (as
//     strings.ToLower does): "ABC" → "abc", "ＴＥＬ" → "tel". No full case
//     folding is done, so "ß" and "ss" stay different. If lower-casing leaves
//     text that is not in NFKC (e.g. "W\u030A" becomes "w\u030A", which
//     composes to "ẘ"), steps 2 and 3 are repeated until it is.
//  4. Katakana become hiragana: U+30A1–U+30F6 (ァ..ヶ) map to U+3041–U+3096
//     (ぁ..ゖ), and the iteration marks ヽヾ map to ゝゞ. The prolonged sound
//     mark ー and the middle dot ・ are kept as they are. The four katakana
//     without a precomposed hiragana counterpart, ヷヸヹヺ (U+30F7–U+30FA), map
//     to their canonical decomposition with the base converted to hiragana:
//     わ゙, ゐ゙, ゑ゙, を゙ (hiragana followed by U+3099). This keeps "ヷ" and
//     "わ゛" equal.
//  5. Every run of white space (any rune for which unicode.IsSpace reports
//     true, including the ideographic space U+3000) becomes a single ASCII
//     space, and leading and trailing white space is removed.
//  6. Variants fold together, in the key only: stored text keeps what was
//     typed, so 髙橋 is displayed as 髙橋 and found by 高橋 and 髙橋 alike.
//     Variant kanji (異体字) of Japanese names become one form: 髙 → 高,
//     﨑 嵜 → 崎, 齋 齊 斉 → 斎, 邊 邉 → 辺, 濵 濱 → 浜, 德 → 徳, 國 → 国,
//     澤 → 沢, 廣 → 広, … (the table and its sources are documented in
//     fold.go: Unihan's variant fields, the 常用漢字表's 旧字体 and name
//     spellings added by hand). The CP932 twins, pairs that Shift_JIS
//     stores in one byte so that a round trip through Excel swaps them,
//     become one character: 〜 and ～ → ~, − and － → -, ∥ → ‖, — → ―
//     (¢/￠, £/￡, ¬/￢ and \/＼ are already unified by NFKC). Variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF) are
//     dropped, so 辻 written with an Ideographic Variation Sequence matches
//     plain 辻.
//
// Keys are stored (search columns, n-gram tables): rows saved before a
// change of these rules keep their old keys until they are saved again.
//
// Key is idempotent: Key(Key(s)) == Key(s) for every string s. This is
// checked by a fuzz test.
//
// [Terms] splits a query into its distinct search keys, and [Bigrams] lists
// the distinct two-rune substrings of a key that an n-gram index stores, so
// that short Japanese queries such as 田中 or やま can be answered from the
// index. Pairs of two ASCII runes are not indexed (ASCII text is searched by
// other means), and pairs containing a space are not indexed either.
//
// # Digits
//
// [Digits] extracts the ASCII digits of a text after NFKC, which is how phone
// and postal numbers are compared: "０９０-1234-5678" → "09012345678". Because
// NFKC is applied first, compatibility digits such as ① or ² count as 1 and 2.
//
// # Readings
//
// [Katakana] normalizes a reading (フリガナ) typed by a user: ゛/゜ are treated
// as combining marks (as in Key), the text is NFKC-normalized, hiragana become
// katakana (ぁ..ゖ → ァ..ヶ, ゝゞ → ヽヾ, and わ゙ etc. compose to ヷ etc.),
// white-space runs become one ideographic space U+3000, and the result is
// trimmed. The reading is valid when only katakana remain: the letters
// U+30A1–U+30FA (including small kana, ヴ, ヵヶ and ヷ..ヺ), the middle dot ・,
// the prolonged sound mark ー, the iteration marks ヽヾ, the small katakana
// extensions U+31F0–U+31FF, and U+3000 between words. Anything else (kanji,
// Latin letters, digits, punctuation, unmerged combining marks) makes the
// reading invalid. The empty reading is valid.
package textnorm
