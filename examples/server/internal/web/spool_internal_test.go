package web

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/customer/blob"
)

// TestSpoolSweepTakesTheTenantsExpiredFiles: a spool of one user sweeps
// the expired files of every user of its tenant (someone who never uploads
// again does not keep theirs), and nothing fresh, of another tenant or
// outside the spool prefix.
func TestSpoolSweepTakesTheTenantsExpiredFiles(t *testing.T) {
	t.Parallel()
	store, err := blob.NewLocal(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	tenant, other := uuid.New(), uuid.New()
	spoolFor := func(tenant uuid.UUID, token string) spool {
		prefix := "t/" + tenant.String() + "/p/"
		return spool{store: store, tenant: prefix, set: prefix + uuid.NewString() + "/" + token + "/", clock: clock}
	}
	put := func(s spool) string {
		id := s.newFileID()
		for _, key := range []string{s.set + id, s.set + id + spoolMetaSuffix} {
			_, err := store.Put(t.Context(), key, strings.NewReader("x"))
			require.NoError(t, err)
		}
		return s.set + id
	}
	gone := put(spoolFor(tenant, strings.Repeat("a", 32)))
	elsewhere := put(spoolFor(other, strings.Repeat("b", 32)))
	attachment := "t/" + tenant.String() + "/a/" + uuid.NewString()
	_, err = store.Put(t.Context(), attachment, strings.NewReader("x"))
	require.NoError(t, err)

	now = now.Add(spoolTTL + time.Minute)
	mine := spoolFor(tenant, strings.Repeat("c", 32))
	fresh := put(mine)
	require.NoError(t, mine.sweep(t.Context()))

	var left []string
	for key, err := range store.List(t.Context(), "t/") {
		require.NoError(t, err)
		left = append(left, key)
	}
	require.ElementsMatch(t, []string{fresh, fresh + spoolMetaSuffix, elsewhere, elsewhere + spoolMetaSuffix, attachment}, left,
		"the other user's expired file %s is swept", gone)
}
