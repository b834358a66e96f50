package kana

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/ikawaha/kagome-dict/dict"
	"github.com/ikawaha/kagome-dict/ipa"
	"github.com/ikawaha/kagome/v2/tokenizer"
	"golang.org/x/text/unicode/norm"

	"github.com/kirokuhq/kiroku/internal/textnorm"
)

// Confidence says what a suggested reading rests on. Larger is surer; the
// constants are ordered.
type Confidence int

// Confidences, from the least to the most sure.
const (
	// Composed: no dictionary entry spells the whole name; the reading
	// joins the readings of the words the analyser split it into (陽翔 →
	// ヨウショウ where the person is ハルト). Often wrong for given names:
	// show it for the user to correct.
	Composed Confidence = iota + 1
	// Word: one dictionary entry spells the whole name, but not as a name in
	// this position (a place, a common noun, or a given name used as a
	// family name). Its most frequent reading is taken.
	Word
	// Name: the dictionary lists the whole name as a family name (姓) for the
	// family part or as a given name (名) for the given part; its most
	// frequent reading in that role is taken (鈴木 → スズキ, 一郎 →
	// イチロウ). Usually right, but a name can have several readings
	// (河野: コウノ or カワノ) and only the person knows.
	Name
	// Written: the name is written in kana; the reading is that kana in
	// katakana (さくら → サクラ). Certain.
	Written
)

// String returns the constant's name in lower case ("name", …).
func (c Confidence) String() string {
	switch c {
	case Composed:
		return "composed"
	case Word:
		return "word"
	case Name:
		return "name"
	case Written:
		return "written"
	}
	return fmt.Sprintf("Confidence(%d)", int(c))
}

// Reading is a suggested reading (フリガナ) of a personal name.
type Reading struct {
	// Family is the reading of the family name (セイ) in full-width
	// katakana, e.g. スズキ.
	Family string
	// Given is the reading of the given name (メイ) in full-width katakana,
	// e.g. イチロウ; empty when no given name was passed.
	Given string
	// FamilyConfidence and GivenConfidence say what each reading rests on;
	// GivenConfidence is zero when Given is empty.
	FamilyConfidence Confidence
	GivenConfidence  Confidence
}

// Confidence is the lower of the two parts' confidences (the family's
// alone when there is no given name).
func (r Reading) Confidence() Confidence {
	if r.Given == "" {
		return r.FamilyConfidence
	}
	return min(r.FamilyConfidence, r.GivenConfidence)
}

// Suggester suggests readings of Japanese personal names. Build it once
// with New and share it: it is safe for concurrent use.
type Suggester struct {
	dict *dict.Dict
	tok  *tokenizer.Tokenizer
	// readingAt is the index of the reading among an entry's features.
	readingAt int
}

// New returns a Suggester over the IPA dictionary (IPADIC, as packaged by
// github.com/ikawaha/kagome-dict/ipa), which is compiled into the program
// that imports this package: measured, it adds 12.7 MB to a binary.
//
// The first New in a process decompresses the dictionary: measured on a
// shared 2-core machine, about 1 s of CPU (2.5–5 s of wall time under
// load), 89 MiB of heap kept for the life of the process and 175 MB of
// peak RSS for a program that does nothing else (run this package's tests
// with -v to print the load figures). Later calls share that dictionary
// and cost nothing.
func New() (*Suggester, error) {
	d := ipa.Dict()
	at, ok := d.ContentsMeta[dict.ReadingIndex]
	if !ok {
		return nil, fmt.Errorf("kana: the dictionary has no reading feature")
	}
	tok, err := tokenizer.New(d, tokenizer.OmitBosEos())
	if err != nil {
		return nil, fmt.Errorf("kana: %w", err)
	}
	return &Suggester{dict: d, tok: tok, readingAt: int(at)}, nil
}

// role is the position a name part is in.
type role string

// The IPA dictionary's sub-categories of 名詞,固有名詞,人名.
const (
	family role = "姓"
	given  role = "名"
)

// Suggest returns the readings of a family name and a given name written
// in kanji (or kana, or both, as 一ノ瀬), e.g. 鈴木, 一郎 → スズキ, イチロウ.
// given may be empty. Input is read after NFKC, with variant kanji folded
// to their common form (髙橋 is read as 高橋) and variation selectors
// dropped; words separated by white space are read one by one and their
// readings joined with an ideographic space.
//
// For each part it takes, in this order: the kana as written; the most
// frequent reading of a dictionary entry spelling the whole part as a name
// in that position; of an entry spelling it as another kind of name; of
// any other entry; and last the readings of the words the analyser splits
// the part into. Each part's Confidence says which.
//
// ok is false, and the Reading zero, when family is empty or either part
// contains something with no reading (Latin letters, digits, symbols, or
// kanji the dictionary lacks).
func (s *Suggester) Suggest(familyName, givenName string) (Reading, bool) {
	var r Reading
	var ok bool
	if r.Family, r.FamilyConfidence, ok = s.part(familyName, family); !ok || r.Family == "" {
		return Reading{}, false
	}
	if r.Given, r.GivenConfidence, ok = s.part(givenName, given); !ok {
		return Reading{}, false
	}
	return r, true
}

// SuggestKana is Suggest without the confidences. It makes a *Suggester a
// customer.KanaSuggester (customer.Config.KanaSuggester), so that the
// customer engine suggests readings without importing this package.
func (s *Suggester) SuggestKana(familyName, givenName string) (familyKana, givenKana string, ok bool) {
	r, ok := s.Suggest(familyName, givenName)
	return r.Family, r.Given, ok
}

// part reads one name part: each space-separated word, joined with U+3000.
// An empty part has the empty reading.
func (s *Suggester) part(text string, pos role) (string, Confidence, bool) {
	words := strings.Fields(textnorm.FoldVariants(norm.NFKC.String(text)))
	readings := make([]string, len(words))
	conf := Written
	for i, w := range words {
		k, c, ok := s.word(w, pos)
		if !ok {
			return "", 0, false
		}
		readings[i], conf = k, min(conf, c)
	}
	if len(words) == 0 {
		return "", 0, true
	}
	return strings.Join(readings, "\u3000"), conf, true
}

// word reads one word of a name.
func (s *Suggester) word(w string, pos role) (string, Confidence, bool) {
	if k, ok := kanaOnly(w); ok {
		return k, Written, true
	}
	if k, c, ok := s.entry(w, pos); ok {
		return k, c, true
	}
	var b strings.Builder
	for _, t := range s.tok.Tokenize(w) {
		if k, ok := kanaOnly(t.Surface); ok {
			b.WriteString(k)
			continue
		}
		k, ok := t.Reading()
		if t.Class != tokenizer.KNOWN || !ok {
			return "", 0, false
		}
		b.WriteString(k)
	}
	k, ok := textnorm.Katakana(b.String())
	return k, Composed, ok && k != ""
}

// entry returns the most frequent reading of the dictionary entries that
// spell w exactly, preferring a name in position pos, then another name,
// then anything else; within a rank, the entry of lowest cost (the most
// frequent) wins.
func (s *Suggester) entry(w string, pos role) (string, Confidence, bool) {
	const unranked = -1
	bestRank, bestCost, best := unranked, 0, ""
	for _, id := range s.dict.Index.Search(w) {
		k, ok := s.entryReading(id)
		if !ok {
			continue
		}
		rank := s.rank(id, pos)
		cost := int(s.dict.Morphs[id].Weight)
		if rank > bestRank || (rank == bestRank && cost < bestCost) {
			bestRank, bestCost, best = rank, cost, k
		}
	}
	switch bestRank {
	case unranked:
		return "", 0, false
	case rankName:
		return best, Name, true
	}
	return best, Word, true
}

// Ranks of a dictionary entry for a name part.
const (
	rankOther     = iota // any other entry
	rankOtherName        // 人名 in another position (or 人名,一般)
	rankName             // 人名 in the part's position
)

// rank classifies entry id for a name in position pos by its part of
// speech, 名詞,固有名詞,人名,{姓,名,一般}.
func (s *Suggester) rank(id int, pos role) int {
	p := s.dict.POSTable.POSs[id]
	name := func(i int) string { return s.dict.POSTable.NameList[p[i]] }
	if len(p) < 4 || name(1) != "固有名詞" || name(2) != "人名" {
		return rankOther
	}
	if name(3) == string(pos) {
		return rankName
	}
	return rankOtherName
}

// entryReading returns the katakana reading of dictionary entry id.
func (s *Suggester) entryReading(id int) (string, bool) {
	i := s.readingAt - len(s.dict.POSTable.POSs[id])
	c := s.dict.Contents[id]
	if i < 0 || i >= len(c) || c[i] == "*" {
		return "", false
	}
	return textnorm.Katakana(c[i])
}

// kanaOnly returns w in katakana when w is written in kana only.
func kanaOnly(w string) (string, bool) {
	for _, r := range w {
		if !unicode.In(r, unicode.Hiragana, unicode.Katakana) && r != 'ー' {
			return "", false
		}
	}
	return textnorm.Katakana(w)
}
