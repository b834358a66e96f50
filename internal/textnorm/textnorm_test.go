package textnorm_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/internal/textnorm"
)

func TestKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", ""},
		{"only spaces", " \u3000\t\n ", ""},
		{"hiragana unchanged", "たなか", "たなか"},
		{"katakana to hiragana", "タナカ", "たなか"},
		{"half-width katakana", "ﾀﾅｶ", "たなか"},
		{"half-width dakuten merged", "ｶﾞ", "が"},
		{"half-width handakuten merged", "ﾊﾟﾝ", "ぱん"},
		{"spacing dakuten merged", "カ゛", "が"},
		{"spacing handakuten merged", "ハ゜", "ぱ"},
		{"small kana", "ァィゥェォッャュョヮ", "ぁぃぅぇぉっゃゅょゎ"},
		{"vu", "ヴ", "ゔ"},
		{"small ka ke", "ヵヶ", "ゕゖ"},
		{"iteration marks", "ヽヾ", "ゝゞ"},
		{"prolonged sound mark kept", "ラーメン", "らーめん"},
		{"half-width prolonged sound mark", "ﾗｰﾒﾝ", "らーめん"},
		{"middle dot kept", "ジョン・スミス", "じょん・すみす"},
		{"voiced wa decomposed", "ヷヸヹヺ", "わ\u3099ゐ\u3099ゑ\u3099を\u3099"},
		{"wa with spacing dakuten", "ワ゛", "わ\u3099"},
		{"full-width latin", "ＡＢＣ", "abc"},
		{"full-width digits", "０９０", "090"},
		{"upper case", "Tanaka TARO", "tanaka taro"},
		{"sharp s kept", "Straße", "straße"},
		{"lower-casing then composing", "W\u030A", "\u1E98"},
		{"cherokee upper", "\u13F2", "\u13FA"},
		{"cherokee lower", "\u13FA", "\u13FA"},
		{"circled kabushiki", "㈱山田", "(株)山田"},
		{"era ligature", "㍻", "平成"},
		{"variant kanji folded", "髙橋", "高橋"},
		{"kanji kept", "田中 太郎", "田中 太郎"},
		{"ideographic space", "田中\u3000太郎", "田中 太郎"},
		{"space runs collapsed", "  田中 \u3000\t 太郎  ", "田中 太郎"},
		{"newline", "山田\n花子", "山田 花子"},
		{"mixed", "ﾔﾏﾀﾞ　ﾊﾅｺ　ＴＥＬ", "やまだ はなこ tel"},
		{"kanji iteration mark kept", "佐々木", "佐々木"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := textnorm.Key(tt.in)
			require.Equal(t, tt.want, got)
			require.Equal(t, got, textnorm.Key(got), "Key must be idempotent")
		})
	}
}

func TestKeyEquivalence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b string
	}{
		{"hiragana katakana", "やまだ", "ヤマダ"},
		{"katakana half-width", "ヤマダ", "ﾔﾏﾀﾞ"},
		{"full half latin", "ＳＵＺＵＫＩ", "suzuki"},
		{"case", "Suzuki", "SUZUKI"},
		{"spaces", "山田　花子", "山田 花子"},
		{"combining dakuten", "か\u3099", "が"},
		{"voiced wa", "ヷ", "わ゛"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, textnorm.Key(tt.a), textnorm.Key(tt.b))
		})
	}
}

func TestDigits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", ""},
		{"mobile full-width", "０９０-1234-5678", "09012345678"},
		{"full-width hyphens", "０３－１２３４－５６７８", "0312345678"},
		{"parentheses", "(03) 1234-5678", "0312345678"},
		{"postal code", "〒100-0001", "1000001"},
		{"no digits", "なし", ""},
		{"circled digit", "①2", "12"},
		{"non-ASCII decimal digits dropped", "٣4", "4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, textnorm.Digits(tt.in))
		})
	}
}

func TestKatakana(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     string
		want   string
		wantOK bool
	}{
		{"empty", "", "", true},
		{"only spaces", "  \u3000 ", "", true},
		{"katakana", "タナカ", "タナカ", true},
		{"hiragana", "たなか", "タナカ", true},
		{"half-width", "ﾀﾅｶ ﾀﾛｳ", "タナカ\u3000タロウ", true},
		{"half-width dakuten", "ﾔﾏﾀﾞ", "ヤマダ", true},
		{"combining dakuten", "か\u3099", "ガ", true},
		{"spacing dakuten", "か゛", "ガ", true},
		{"spacing handakuten", "は゜", "パ", true},
		{"space runs", "  たなか \t\u3000 はなこ  ", "タナカ\u3000ハナコ", true},
		{"prolonged sound mark", "らーめん", "ラーメン", true},
		{"middle dot", "じょん・すみす", "ジョン・スミス", true},
		{"half-width middle dot", "ｼﾞｮﾝ･ｽﾐｽ", "ジョン・スミス", true},
		{"vu", "ゔぃ", "ヴィ", true},
		{"small kana", "ぁっゃゕゖ", "ァッャヵヶ", true},
		{"iteration marks", "ゝゞ", "ヽヾ", true},
		{"voiced wa composes", "わ゛を゛", "ヷヺ", true},
		{"ainu small kana", "ㇰ", "ㇰ", true},
		{"yori digraph", "ゟ", "ヨリ", true},
		{"kanji", "田中", "田中", false},
		{"mixed kanji", "タナカ太郎", "タナカ太郎", false},
		{"latin", "tanaka", "tanaka", false},
		{"full-width latin", "ＴＡＮＡＫＡ", "TANAKA", false},
		{"digits", "タナカ1", "タナカ1", false},
		{"punctuation", "タナカ。", "タナカ。", false},
		{"lone combining mark", "ー\u3099", "ー\u3099", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := textnorm.Katakana(tt.in)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.wantOK, ok)
			again, okAgain := textnorm.Katakana(got)
			require.Equal(t, got, again, "Katakana must be idempotent")
			require.Equal(t, ok, okAgain)
		})
	}
}

func TestBigrams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  string
		want []string
	}{
		{"empty", "", nil},
		{"one rune", "田", nil},
		{"two runes", "田中", []string{"田中"}},
		{"name with space", "たなか はなこ", []string{"たな", "なか", "はな", "なこ"}},
		{"duplicates removed", "やまやま", []string{"やま", "まや"}},
		{"ascii pairs skipped", "abc", nil},
		{"ascii next to kana kept", "aた b", []string{"aた"}},
		{"mixed", "tel田中", []string{"l田", "田中"}},
		{"digits and kanji", "3丁目", []string{"3丁", "丁目"}},
		{"only spaces between", "田 中", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, textnorm.Bigrams(tt.key))
		})
	}
}

func TestASCIITrigrams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  string
		want []string
	}{
		{"empty", "", nil},
		{"two runes", "ab", nil},
		{"digits", "0901", []string{"090", "901"}},
		{"runs split by space", "abc de fgh", []string{"abc", "fgh"}},
		{"runs split by kana", "ab田cde", []string{"cde"}},
		{"duplicates removed", "aaaa", []string{"aaa"}},
		{"punctuation is ascii", "a-1b", []string{"a-1", "-1b"}},
		{"no ascii", "田中太郎", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, textnorm.ASCIITrigrams(tt.key))
		})
	}
}

func TestTerms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"empty", "", nil},
		{"blank", " \u3000 ", nil},
		{"single", "田中", []string{"田中"}},
		{"two", "田中　ﾊﾅｺ", []string{"田中", "はなこ"}},
		{"duplicates", "ヤマダ やまだ ﾔﾏﾀﾞ", []string{"やまだ"}},
		{"case duplicates", "ABC abc", []string{"abc"}},
		{"order kept", "b a b c", []string{"b", "a", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, textnorm.Terms(tt.query))
		})
	}
}

func FuzzKey(f *testing.F) {
	seeds := []string{
		"", "田中 太郎", "ﾀﾅｶ ﾀﾛｳ", "ｶﾞ", "カ゛", "ＡＢＣ", "㈱", "髙", "Straße",
		"ヷヸヹヺ", "わ゛", "\u3099", " ゛", "W\u030A", "ẘ", "İ", "ς Σ",
		"ǅ", "\u0345", "\u13FA", "\u13F2", "α\u0345", "㍻", "\u3000\u3000x\u3000", "ﬀ",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip()
		}
		k := textnorm.Key(s)
		require.Equal(t, k, textnorm.Key(k), "Key not idempotent for %q", s)
		require.False(t, strings.HasPrefix(k, " ") || strings.HasSuffix(k, " "), "untrimmed key %q", k)
		require.NotContains(t, k, "  ")
		for _, r := range k {
			require.False(t, unicode.IsSpace(r) && r != ' ', "white space %U left in key", r)
			require.False(t, r >= 0x30A1 && r <= 0x30F6, "katakana %q left in key", r)
		}
		for _, term := range textnorm.Terms(s) {
			require.Equal(t, term, textnorm.Key(term))
			require.NotContains(t, term, " ")
		}
		for _, g := range textnorm.Bigrams(k) {
			require.Equal(t, 2, utf8.RuneCountInString(g))
			require.NotContains(t, g, " ")
		}

		kana, ok := textnorm.Katakana(s)
		again, okAgain := textnorm.Katakana(kana)
		require.Equal(t, kana, again, "Katakana not idempotent for %q", s)
		require.Equal(t, ok, okAgain)

		d := textnorm.Digits(s)
		require.Equal(t, d, textnorm.Digits(d))
		for i := 0; i < len(d); i++ {
			require.True(t, d[i] >= '0' && d[i] <= '9')
		}
	})
}

// TestKeyIdempotentAllRunes checks idempotence of Key and Katakana for every
// assigned non-ideographic rune, alone and followed by a combining mark, since
// the fuzzer mutates bytes and rarely reaches rare scripts.
func TestKeyIdempotentAllRunes(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("exhaustive check skipped in -short mode")
	}
	suffixes := []string{"", "\u0301", "\u030A", "\u3099", "\u309A", "\u0345"}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		// Unassigned code points, private use and the ideographs (which NFKC
		// and lower-casing leave alone) are skipped to keep the test fast.
		if !utf8.ValidRune(r) || unicode.In(r, unicode.Han, unicode.Co) ||
			!unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.Cc, unicode.Cf) {
			continue
		}
		for _, suffix := range suffixes {
			s := string(r) + suffix
			k := textnorm.Key(s)
			if k2 := textnorm.Key(k); k2 != k {
				t.Fatalf("Key(%+q) = %+q but Key(%+q) = %+q", s, k, k, k2)
			}
			kana, _ := textnorm.Katakana(s)
			if kana2, _ := textnorm.Katakana(kana); kana2 != kana {
				t.Fatalf("Katakana(%+q) = %+q but Katakana(%+q) = %+q", s, kana, kana, kana2)
			}
		}
	}
}
