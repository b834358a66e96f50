package textnorm_test

import (
	"testing"

	"github.com/kirokuhq/kiroku/internal/textnorm"
)

// benchTexts are typical inputs of Key: a query, a name, and the joined
// profile text a customer's search key is built from.
var benchTexts = []struct{ name, text string }{
	{"query", "高橋"},
	{"name", "髙橋　一郎"},
	{"profile", "佐藤 花子 佐藤花子 サトウ ハナコ サトウハナコ 株式会社ヤマダ商事 営業部 hanako@example.jp " +
		"160-0023 1600023 0312345678 09012345678 東京都新宿区西新宿2-8-1 佐藤 太郎 ゴルフが趣味〜週末は練習場"},
}

// BenchmarkKey measures search-key generation, which every customer save
// and every search query pays.
func BenchmarkKey(b *testing.B) {
	for _, bt := range benchTexts {
		b.Run(bt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				textnorm.Key(bt.text)
			}
		})
	}
}
