// Package kana suggests readings (フリガナ) of Japanese personal names written
// in kanji: 鈴木 一郎 → スズキ イチロウ.
//
// It is a package of its own because it compiles the IPA dictionary
// (IPADIC, through github.com/ikawaha/kagome/v2 and kagome-dict/ipa) into
// the program: about 13 MB of binary and, once loaded, about 90 MiB of
// heap (see New). The customer engine does not import it; an embedder
// who wants suggestions passes a *Suggester as
// customer.Config.KanaSuggester, and one who does not pays nothing.
//
// # How a reading is chosen
//
// IPADIC lists names as 名詞,固有名詞,人名 with the sub-category 姓 (family
// name) or 名 (given name), each with a cost that is lower for frequent
// words. For each part of a name, [Suggester.Suggest] takes the reading of
// the cheapest entry that spells the whole part as a name in that position,
// and falls back to other names, other words and finally to the readings of
// the words the analyser splits the part into. [Confidence] reports which
// rule gave each part, so that a form can show a composed guess differently
// from a dictionary name.
//
// A name has the reading its bearer says it has: 河野 is コウノ or カワノ,
// 山﨑 is ヤマサキ for some and ヤマザキ for others. Suggestions are for a
// person to confirm: the customer engine offers them to forms
// (customer.Service.SuggestKana) and reports them per row on import,
// writing them only when the caller asks (customer.ImportOptions).
//
// A suggestion costs about 5–12 µs (BenchmarkSuggest), so an import of
// 100 000 rows without readings spends about a second on them.
//
// # Accuracy
//
// On the standard data set's names (internal/gendata, whose generator
// knows each name's true reading), over the 100 000 customers of its big
// tenant, the family name's reading is right for 98.8% of customers (96%
// of the 189 distinct family names) and the given name's for 87.8% (86% of
// the 158 distinct given names). Misses are rare readings (東 read アズマ,
// 新垣 ニイガキ) and recent given names the dictionary predates (陽翔 read
// ヒショウ for ハルト), which come back Composed. Run
// `go test -v -run TestAccuracy ./customer/kana/` for the current figures.
package kana
