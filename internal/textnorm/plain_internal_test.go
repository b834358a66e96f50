package textnorm

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
)

// plainContexts are texts put around each rune by TestPlainPathsMatchFull:
// white space of every kind, ASCII, kana and a kanji that folds.
var plainContexts = []string{"", " ", "  ", "\u3000", "\t", "\r\n", "A", "z", "か", "カ", "ー", "髙", "田", "・"}

// TestPlainPathsMatchFull checks that Key and Katakana give what their full
// step-by-step paths give for every rune, alone and beside each context
// (the plain paths must take over only what they reproduce exactly), and
// for random texts of plain runes.
func TestPlainPathsMatchFull(t *testing.T) {
	t.Parallel()
	check := func(s string) {
		t.Helper()
		if got, want := Key(s), fullKey(s); got != want {
			t.Fatalf("Key(%+q) = %+q, full path %+q", s, got, want)
		}
		gotKana, gotOK := Katakana(s)
		wantKana, wantOK := fullKatakana(s)
		if gotKana != wantKana || gotOK != wantOK {
			t.Fatalf("Katakana(%+q) = %+q, %v; full path %+q, %v", s, gotKana, gotOK, wantKana, wantOK)
		}
	}
	var plain []rune
	for r := rune(0); r < 0xA000; r++ {
		_, keyOK := plainKey(string(r))
		_, kanaOK := plainKatakana(string(r))
		if !keyOK && !kanaOK {
			continue
		}
		plain = append(plain, r)
		for _, c := range plainContexts {
			check(c + string(r))
			check(string(r) + c)
			check(c + string(r) + c)
		}
	}
	if len(plain) < 20000 {
		t.Fatalf("only %d plain runes", len(plain))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(12) {
			if rng.IntN(4) == 0 {
				b.WriteRune([]rune{' ', '\u3000', '\t'}[rng.IntN(3)])
				continue
			}
			b.WriteRune(plain[rng.IntN(len(plain))])
		}
		check(b.String())
	}
	check("")
	_, ok := plainKey("\uFF21")
	if ok || unicode.IsSpace('\uFF21') {
		t.Fatal("full-width A taken as plain")
	}
}

// bigramsByRunes is Bigrams written plainly, for TestBigramsMatchPlainWay.
func bigramsByRunes(key string) []string {
	runes := []rune(key)
	var out []string
	seen := map[[2]rune]bool{}
	for i := 0; i+1 < len(runes); i++ {
		a, c := runes[i], runes[i+1]
		if unicode.IsSpace(a) || unicode.IsSpace(c) || (a <= unicode.MaxASCII && c <= unicode.MaxASCII) || seen[[2]rune{a, c}] {
			continue
		}
		seen[[2]rune{a, c}] = true
		out = append(out, string(runes[i:i+2]))
	}
	return out
}

// TestBigramsMatchPlainWay compares Bigrams with bigramsByRunes on random
// texts, short and long (past the set's stack table), repeating pairs,
// with invalid UTF-8 and U+FFFD.
func TestBigramsMatchPlainWay(t *testing.T) {
	t.Parallel()
	alphabet := []string{"a", "1", " ", "\u3000", "田", "中", "た", "な", "か", "\uFFFD", "\xff", "\xe3\x81", "髙", "𠮷", "ー"}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 5000 {
		var b strings.Builder
		for range rng.IntN(8 + i/10) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		s := b.String()
		got, want := Bigrams(s), bigramsByRunes(s)
		if len(got) != len(want) {
			t.Fatalf("Bigrams(%+q) = %+q, want %+q", s, got, want)
		}
		for j := range got {
			if got[j] != want[j] {
				t.Fatalf("Bigrams(%+q) = %+q, want %+q", s, got, want)
			}
		}
	}
}
