package storage_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/storage"
)

func TestCountUpTo(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		for _, q := range []string{
			"CREATE TABLE counted (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)",
			"INSERT INTO counted (id, n) WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 2000) SELECT i, i FROM s",
			"ANALYZE counted",
		} {
			_, err := db.ExecContext(ctx, q)
			require.NoError(t, err, q)
		}
		d, err := storage.Of(db)
		require.NoError(t, err)
		pg := d == storage.Postgres
		countOr := func(where string, limit int, exact bool) storage.Count {
			t.Helper()
			sel := db.NewSelect().TableExpr("counted")
			if where != "" {
				sel.Where(where)
			}
			c, err := storage.CountUpTo(ctx, db, sel, limit, exact)
			require.NoError(t, err)
			return c
		}
		count := func(where string, limit int) storage.Count { t.Helper(); return countOr(where, limit, false) }
		// Exact at and below the cap, with the filter applied, and when
		// asked for the exact number over the cap.
		require.Equal(t, storage.Count{N: 2000, Kind: storage.CountExact}, countOr("", 100, true))
		require.Equal(t, storage.Count{N: 150, Kind: storage.CountExact}, countOr("n <= 150", 100, true))
		require.Equal(t, storage.Count{N: 2000, Kind: storage.CountExact}, count("", 2000))
		require.Equal(t, storage.Count{N: 2000, Kind: storage.CountExact}, count("", 5000))
		require.Equal(t, storage.Count{N: 49, Kind: storage.CountExact}, count("n < 50", 100))
		require.Equal(t, storage.Count{N: 100, Kind: storage.CountExact}, count("n <= 100", 100))
		// Over the cap: PostgreSQL's estimate of the table's rows (ANALYZE
		// read them all); SQLite's lower bound.
		if pg {
			require.Equal(t, storage.Count{N: 2000, Kind: storage.CountEstimate}, count("", 100))
		} else {
			require.Equal(t, storage.Count{N: 101, Kind: storage.CountAtLeast}, count("", 100))
		}
		// The planner guesses a share of 0.5 % for n % 2 = 0 (10 rows): an
		// estimate not above the cap is no estimate, and the count says
		// only that more than the cap match.
		require.Equal(t, storage.Count{N: 101, Kind: storage.CountAtLeast}, count("n % 2 = 0", 100))
		require.Equal(t, storage.Count{N: 1000, Kind: storage.CountExact}, countOr("n % 2 = 0", 100, true))
	})
}

func TestPlanSorts(t *testing.T) {
	t.Parallel()
	db := dbtest.Postgres(t)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE planned (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, n INTEGER NOT NULL)",
		"CREATE INDEX planned_at ON planned (at)",
		"INSERT INTO planned (id, at, n) SELECT i, i, i % 100 FROM generate_series(1, 20000) AS i",
		"ANALYZE planned",
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	sorts := func(where, order string) bool {
		t.Helper()
		sel := db.NewSelect().TableExpr("planned").Column("id").Where(where).OrderExpr(order).Limit(21)
		got, err := storage.PlanSorts(ctx, db, sel)
		require.NoError(t, err)
		rows, err := storage.PlanRows(ctx, db, sel)
		require.NoError(t, err)
		require.InDelta(t, 21, rows, 0.5, "the Limit's rows")
		return got
	}
	// A walk of planned_at in the query's order stops at the limit…
	require.False(t, sorts("n < 50", "at DESC"))
	// …where no index gives the order, or a narrow range of another
	// index reads fewer rows than the walk, every match is read and sorted.
	require.True(t, sorts("n < 50", "n DESC, at"))
	require.True(t, sorts("at BETWEEN 100 AND 150", "n"))
	// A subquery's Sort (an InitPlan of the Limit, listed before its
	// input) is not the page's.
	require.False(t, sorts("at > (SELECT n FROM planned ORDER BY n DESC LIMIT 1)", "id"))
}
