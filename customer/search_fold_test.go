package customer_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestSearchFoldsVariants checks that variant kanji of names (異体字) and
// CP932 twins find each other, in the stored key and in the query, while
// the customer keeps the spelling it was saved with.
func TestSearchFoldsVariants(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		for _, p := range []customer.Profile{
			{FamilyName: "髙橋", GivenName: "一郎", FamilyKana: "タカハシ", GivenKana: "イチロウ", Memo: "営業時間9時〜18時"},
			{FamilyName: "高橋", GivenName: "花子", FamilyKana: "タカハシ", GivenKana: "ハナコ", Memo: "気温−5度でも訪問可"},
			{FamilyName: "渡邉", GivenName: "健", FamilyKana: "ワタナベ", GivenKana: "ケン", Memo: "A‖B"},
			{FamilyName: "齋藤", GivenName: "恵", FamilyKana: "サイトウ", GivenKana: "メグミ"},
			{FamilyName: "山﨑", GivenName: "茂", FamilyKana: "ヤマサキ", GivenKana: "シゲル"},
		} {
			_, err := f.svc.Create(f.staff, p)
			require.NoError(t, err)
		}
		for _, tc := range []struct {
			text string
			want []string
		}{
			{"高橋", []string{"髙橋 一郎", "高橋 花子"}},
			{"髙橋", []string{"髙橋 一郎", "高橋 花子"}},
			{"髙", []string{"髙橋 一郎", "高橋 花子"}}, // one character
			{"髙橋一郎", []string{"髙橋 一郎"}},
			{"高橋一郎", []string{"髙橋 一郎"}},
			{"渡辺", []string{"渡邉 健"}},
			{"渡邊", []string{"渡邉 健"}},
			{"斉藤", []string{"齋藤 恵"}},
			{"斎藤", []string{"齋藤 恵"}},
			{"山崎", []string{"山﨑 茂"}},
			{"9時～18時", []string{"髙橋 一郎"}}, // ～ U+FF5E finds 〜 U+301C
			{"時〜1", []string{"髙橋 一郎"}},
			{"－5度", []string{"高橋 花子"}}, // － U+FF0D finds − U+2212
			{"A∥B", []string{"渡邉 健"}},  // ∥ U+2225 finds ‖ U+2016
		} {
			page, err := f.svc.Search(f.staff, customer.Query{Text: tc.text})
			require.NoError(t, err, tc.text)
			require.Equal(t, tc.want, names(page.Customers), tc.text)
		}
	})
}
