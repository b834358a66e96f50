package contactlog_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestSearchFoldsVariants checks that a record stored with one character
// of a CP932 twin pair, or with a variant kanji, is found by the other.
func TestSearchFoldsVariants(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		e := entry(f.yamada.ID)
		e.PublicMemo, e.PrivateMemo = "納期は10日〜12日、髙橋様に確認", "値引き−5%"
		wave, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)
		e = entry(f.yamada.ID)
		e.PublicMemo, e.PrivateMemo = "納期は10日～12日、高橋様に確認", "値引き－5%"
		fullwidth, err := f.svc.Create(f.staff, e)
		require.NoError(t, err)
		both := []uuid.UUID{fullwidth.ID, wave.ID}
		for _, text := range []string{
			"10日〜12日", "10日～12日", "日〜1", "日～1", // 〜 U+301C and ～ U+FF5E
			"値引き−5%", "値引き－5%", // − U+2212 and － U+FF0D
			"髙橋様", "高橋様", "髙橋", "高橋",
		} {
			require.Equal(t, both, search(t, f.staff, f.svc, contactlog.Query{Text: text}), text)
		}
	})
}
