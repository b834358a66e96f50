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
