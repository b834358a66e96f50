package textnorm_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/internal/textnorm"
)

// TestKeyFoldsVariantSurnames checks real family names written with a
// variant kanji against their common spelling: both have one key, and the
// bigrams of a query in one spelling are among those of the other.
func TestKeyFoldsVariantSurnames(t *testing.T) {
	t.Parallel()
	tests := []struct{ variant, common string }{
		{"髙橋", "高橋"},
		{"髙田", "高田"},
		{"山﨑", "山崎"},
		{"宮﨑", "宮崎"},
		{"山嵜", "山崎"},
		{"齋藤", "斎藤"},
		{"齊藤", "斎藤"},
		{"斉藤", "斎藤"},
		{"渡邊", "渡辺"},
		{"渡邉", "渡辺"},
		{"田邊", "田辺"},
		{"濵田", "浜田"},
		{"濱田", "浜田"},
		{"長濱", "長浜"},
		{"德永", "徳永"},
		{"德川", "徳川"},
		{"槇原", "槙原"},
		{"桒原", "桑原"},
		{"篭橋", "籠橋"},
		{"冨田", "富田"},
		{"小嶋", "小島"},
		{"大嶌", "大島"},
		{"國分", "国分"},
		{"黒澤", "黒沢"},
		{"廣瀬", "広瀬"},
		{"𠮷田", "吉田"},
		{"中邨", "中村"},
		{"櫻井", "桜井"},
		{"龍崎", "竜崎"},
		{"眞鍋", "真鍋"},
		{"淺野", "浅野"},
		{"北條", "北条"},
		{"黑田", "黒田"},
		{"關口", "関口"},
		{"曾根", "曽根"},
		{"舘野", "館野"},
		{"峯岸", "峰岸"},
		{"田渕", "田淵"},
		{"檜山", "桧山"},
		{"淸水", "清水"},
		{"小埜", "小野"},
		{"栁田", "柳田"},
		{"籔内", "藪内"},
		{"辻\U000E0101", "辻"}, // 辻 with the two-dot IVS
		{"葛\U000E0100城", "葛城"},
	}
	for _, tt := range tests {
		t.Run(tt.common, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, textnorm.Key(tt.common), textnorm.Key(tt.variant))
			require.Subset(t, textnorm.Bigrams(textnorm.Key(tt.common)), textnorm.Bigrams(textnorm.Key(tt.variant)))
			require.Equal(t, textnorm.Key(tt.common), textnorm.FoldVariants(tt.variant))
		})
	}
}

// TestKeyFoldsCP932Twins checks that each character of a CP932 twin pair
// (one Shift_JIS byte, two Unicode characters depending on the decoder)
// has the key of the other, alone and inside a word.
func TestKeyFoldsCP932Twins(t *testing.T) {
	t.Parallel()
	tests := []struct{ jis, cp932 string }{
		{"\u301C", "\uFF5E"}, // 〜 ～
		{"\u2212", "\uFF0D"}, // − －
		{"\u2016", "\u2225"}, // ‖ ∥
		{"\u00A2", "\uFFE0"}, // ¢ ￠
		{"\u00A3", "\uFFE1"}, // £ ￡
		{"\u00AC", "\uFFE2"}, // ¬ ￢
		{"\u2014", "\u2015"}, // — ―
		{"\u005C", "\uFF3C"}, // \ ＼
	}
	for _, tt := range tests {
		t.Run(tt.jis, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, textnorm.Key(tt.jis), textnorm.Key(tt.cp932))
			word := func(c string) string { return "10時" + c + "12時 ﾃﾞﾓ" }
			require.Equal(t, textnorm.Key(word(tt.jis)), textnorm.Key(word(tt.cp932)))
		})
	}
}

// TestKeyFoldKeepsOtherKanji checks that kanji outside the table, and
// kanji that only look alike, are left alone.
func TestKeyFoldKeepsOtherKanji(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"高橋", "崎", "藤", "籐", "浜", "島", "碕", "土", "士", "斎藤"} {
		require.Equal(t, s, textnorm.Key(s))
	}
	require.NotEqual(t, textnorm.Key("藤田"), textnorm.Key("籐田"))
}
