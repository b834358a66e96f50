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
