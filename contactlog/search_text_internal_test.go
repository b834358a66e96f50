package contactlog

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSearchTextLeavesOutRepeats checks that a template value repeating
// the memo or the summary adds nothing to the record's search key, so that
// such a record stores no key of its own, while values that differ (katakana
// folded) are kept in their order.
func TestSearchTextLeavesOutRepeats(t *testing.T) {
	t.Parallel()
	r := &Record{Entry: Entry{PublicMemo: "見積書をお送りした。", SummaryText: "近況確認のみ",
		Values: map[string]any{"a": "近況確認のみ", "b": []any{"見積書をお送りした。", "近況確認のみ"}}}}
	require.Equal(t, "見積書をお送りした。 近況確認のみ", searchText(r))
	require.Empty(t, toRow(r).SearchText, "the key is the memo and the summary: not stored")

	r.Values["c"] = "フォロー"
	require.Equal(t, "見積書をお送りした。 近況確認のみ ふぉろー", searchText(r))
	require.Equal(t, "見積書をお送りした。 近況確認のみ ふぉろー", toRow(r).SearchText)
}
