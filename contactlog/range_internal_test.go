package contactlog

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rangePassed names the records a walk in creation order reads before a
// time range's: those created after its end, newest first; before its
// start, oldest first; none when the walk starts on the range's open side
// or does not follow creation.
func TestRangePassed(t *testing.T) {
	t.Parallel()
	from, to := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		q    Query
		want condition
	}{
		{"actual, newest first", Query{Sort: SortCreated, ActualFrom: from, ActualTo: to}, condition{"r.created_at >= ?", []any{to}}},
		{"actual, oldest first", Query{Sort: SortCreated, Asc: true, ActualFrom: from, ActualTo: to}, condition{"r.created_at < ?", []any{from}}},
		{"planned, newest first", Query{Sort: SortCreated, PlannedFrom: from, PlannedTo: to}, condition{"r.created_at >= ?", []any{to}}},
		{"the actual range before the planned", Query{Sort: SortCreated, ActualTo: from, PlannedTo: to}, condition{"r.created_at >= ?", []any{from}}},
		{"open end, newest first", Query{Sort: SortCreated, ActualFrom: from}, condition{}},
		{"open start, oldest first", Query{Sort: SortCreated, Asc: true, PlannedTo: to}, condition{}},
		{"sorted by contact time", Query{Sort: SortActual, ActualFrom: from, ActualTo: to}, condition{}},
		{"no range", Query{Sort: SortCreated}, condition{}},
	} {
		require.Equal(t, c.want, rangePassed(&c.q), c.name)
	}
}
