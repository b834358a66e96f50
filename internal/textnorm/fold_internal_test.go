package textnorm

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFoldTargetsAreFixedPoints keeps Key idempotent: no fold target folds
// again, and every target survives NFKC and lower-casing unchanged.
func TestFoldTargetsAreFixedPoints(t *testing.T) {
	t.Parallel()
	for _, m := range []map[rune]rune{variantKanji, cp932Twins} {
		for from, to := range m {
			got, keep := fold(to)
			require.True(t, keep)
			require.Equal(t, to, got, "%q folds to %q, which folds again", from, to)
			require.Equal(t, string(to), lowerNFKC(string(to)), "target %q of %q changes under NFKC", to, from)
			require.Equal(t, Key(string(from)), Key(Key(string(from))))
			require.NotEqual(t, from, to)
		}
	}
}

// BenchmarkFold measures the fold step alone over a typical customer
// profile text (the runes Key passes to it), which is what folding adds to
// Key; compare with BenchmarkKey/profile.
func BenchmarkFold(b *testing.B) {
	text := lowerNFKC("佐藤 花子 佐藤花子 さとう はなこ さとうはなこ 株式会社ヤマダ商事 営業部 hanako@example.jp " +
		"160-0023 1600023 0312345678 09012345678 東京都新宿区西新宿2-8-1 髙橋 太郎 ゴルフが趣味〜週末は練習場")
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range text {
			fold(r)
		}
	}
}
