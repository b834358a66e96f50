package kana_test

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/kana"
	"github.com/kirokuhq/kiroku/internal/gendata"
)

// The suggester is a customer.KanaSuggester.
var _ customer.KanaSuggester = (*kana.Suggester)(nil)

// suggester is shared by the tests: the dictionary loads once per process.
var suggester *kana.Suggester

// TestMain loads the dictionary before any test runs, and with -v prints
// what that costs (wall time and heap kept), the figures kana.New
// documents.
func TestMain(m *testing.M) {
	flag.Parse()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	s, err := kana.New()
	elapsed := time.Since(start)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if testing.Verbose() {
		fmt.Printf("kana.New (dictionary load): %v, heap kept %.0f MiB\n",
			elapsed.Round(time.Millisecond), float64(after.HeapAlloc-before.HeapAlloc)/(1<<20))
	}
	suggester = s
	os.Exit(m.Run())
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                     string
		family, given            string
		wantFamily, wantGiven    string
		wantFamConf, wantGivConf kana.Confidence
	}{
		{"common name", "鈴木", "一郎", "スズキ", "イチロウ", kana.Name, kana.Name},
		{"family name only", "佐藤", "", "サトウ", "", kana.Name, 0},
		{"surname reading preferred to the place", "高橋", "花子", "タカハシ", "ハナコ", kana.Name, kana.Name},
		{"rare surname", "東海林", "", "ショウジ", "", kana.Name, 0},
		{"variant kanji folded", "髙橋", "", "タカハシ", "", kana.Name, 0},
		{"IVS dropped", "辻\U000E0101", "", "ツジ", "", kana.Name, 0},
		{"given name in kana", "山田", "さくら", "ヤマダ", "サクラ", kana.Name, kana.Written},
		{"katakana", "ヤマダ", "ﾊﾅｺ", "ヤマダ", "ハナコ", kana.Written, kana.Written},
		{"most frequent reading as a surname", "河野", "健", "コウノ", "ケン", kana.Name, kana.Name},
		{"full-width spaces", "佐藤\u3000", "\u3000太郎", "サトウ", "タロウ", kana.Name, kana.Name},
		{"two words", "山田 田中", "", "ヤマダ\u3000タナカ", "", kana.Name, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, ok := suggester.Suggest(tt.family, tt.given)
			require.True(t, ok)
			require.Equal(t, kana.Reading{Family: tt.wantFamily, Given: tt.wantGiven,
				FamilyConfidence: tt.wantFamConf, GivenConfidence: tt.wantGivConf}, r)
			f, g, ok := suggester.SuggestKana(tt.family, tt.given)
			require.True(t, ok)
			require.Equal(t, [2]string{tt.wantFamily, tt.wantGiven}, [2]string{f, g})
		})
	}
}

func TestSuggestComposed(t *testing.T) {
	t.Parallel()
	// No entry spells the whole word: the reading is composed, in katakana,
	// and marked as such.
	r, ok := suggester.Suggest("山田川村", "")
	require.True(t, ok)
	require.Equal(t, kana.Composed, r.FamilyConfidence)
	require.Equal(t, "ヤマダカワムラ", r.Family)
	require.Equal(t, kana.Composed, r.Confidence())
}

func TestSuggestNothing(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, family, given string }{
		{"empty", "", ""},
		{"given name only", "", "一郎"},
		{"latin", "Smith", ""},
		{"latin given name", "山田", "John"},
		{"digits", "山田2", ""},
		{"symbols", "★", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, ok := suggester.Suggest(tt.family, tt.given)
			require.False(t, ok)
			require.Zero(t, r)
			f, g, ok := suggester.SuggestKana(tt.family, tt.given)
			require.False(t, ok)
			require.Empty(t, f+g)
		})
	}
}

func TestConfidence(t *testing.T) {
	t.Parallel()
	require.Equal(t, kana.Word, kana.Reading{Family: "ア", Given: "イ", FamilyConfidence: kana.Name, GivenConfidence: kana.Word}.Confidence())
	require.Equal(t, kana.Name, kana.Reading{Family: "ア", FamilyConfidence: kana.Name}.Confidence())
	require.Equal(t, []string{"composed", "word", "name", "written", "Confidence(9)"},
		[]string{kana.Composed.String(), kana.Word.String(), kana.Name.String(), kana.Written.String(), kana.Confidence(9).String()})
}

// accuracyCustomers is how many customers of the standard data set's big
// tenant the accuracy is measured on.
const accuracyCustomers = 100_000

// Floors of TestAccuracy: a few points below the measured figures (see the
// package documentation), so that a change that makes suggestions worse
// fails.
const (
	minFamilyAccuracy = 0.96 // measured 98.8%
	minGivenAccuracy  = 0.85 // measured 87.8%
)

// TestAccuracy measures the suggestions on the standard data set's names,
// whose true readings the generator knows: per customer (names weighted by
// how often they occur) and per distinct name, for family and given names
// separately. Run with -v to print the figures, and with KANA_MISSES=1 as
// well to list the names read wrong.
func TestAccuracy(t *testing.T) {
	t.Parallel()
	g := gendata.MustNew(gendata.Standard())
	type tally struct{ right, total, distinctRight, distinct int }
	var fam, giv tally
	seen := map[string]bool{}
	count := func(tl *tally, role, name, truth, got string) {
		right := got == truth
		if !right && !seen[role+name+"/"+truth] && os.Getenv("KANA_MISSES") != "" {
			t.Logf("miss %s%s: %s, suggested %s", role, name, truth, got)
		}
		tl.total++
		if right {
			tl.right++
		}
		if key := role + name + "/" + truth; !seen[key] {
			seen[key] = true
			tl.distinct++
			if right {
				tl.distinctRight++
			}
		}
	}
	memo := map[[2]string]kana.Reading{}
	for c := range g.CustomerRange(0, 0, accuracyCustomers) {
		key := [2]string{c.FamilyName, c.GivenName}
		r, ok := memo[key]
		if !ok {
			r, _ = suggester.Suggest(c.FamilyName, c.GivenName)
			memo[key] = r
		}
		count(&fam, "family:", c.FamilyName, c.FamilyKana, r.Family)
		count(&giv, "given:", c.GivenName, c.GivenKana, r.Given)
	}
	rate := func(a, b int) float64 { return float64(a) / float64(b) }
	t.Logf("readings of %d customers (standard data set, tenant 0):", fam.total)
	t.Logf("  family names: %.1f%% of customers right, %.1f%% of %d distinct names",
		100*rate(fam.right, fam.total), 100*rate(fam.distinctRight, fam.distinct), fam.distinct)
	t.Logf("  given names:  %.1f%% of customers right, %.1f%% of %d distinct names",
		100*rate(giv.right, giv.total), 100*rate(giv.distinctRight, giv.distinct), giv.distinct)
	require.GreaterOrEqual(t, rate(fam.right, fam.total), minFamilyAccuracy)
	require.GreaterOrEqual(t, rate(giv.right, giv.total), minGivenAccuracy)
}

// BenchmarkSuggest measures one suggestion: a dictionary name, a name
// composed from several words, and a name in kana.
func BenchmarkSuggest(b *testing.B) {
	for _, name := range [][2]string{{"鈴木", "一郎"}, {"勅使河原", "陽翔"}, {"さとう", "はなこ"}} {
		b.Run(name[0]+name[1], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				suggester.Suggest(name[0], name[1])
			}
		})
	}
}
