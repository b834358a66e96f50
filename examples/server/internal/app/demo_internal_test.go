package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// A chunk whose transaction fails with a conflict (a deadlock PostgreSQL
// broke) runs again; one that keeps failing is reported after
// demoAttempts runs, and other errors are reported at once.
func TestChunkedRunsConflictsAgain(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		d := &demoLoader{a: &App{DB: db}}
		var mu sync.Mutex
		runs := map[int]int{}
		run := func(from int) int {
			mu.Lock()
			defer mu.Unlock()
			runs[from]++
			return runs[from]
		}
		deadlock := fmt.Errorf("record 1: %w", contactlog.ErrConflict)
		err := d.chunked(context.Background(), 3*demoChunk, func(_ context.Context, _ bun.Tx, from, _ int) error {
			if from == demoChunk && run(from) < 3 {
				return deadlock
			}
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, 3, runs[demoChunk])

		clear(runs)
		err = d.chunked(context.Background(), demoChunk, func(_ context.Context, _ bun.Tx, from, _ int) error {
			run(from)
			return deadlock
		})
		require.ErrorIs(t, err, contactlog.ErrConflict)
		require.Equal(t, demoAttempts, runs[0])

		clear(runs)
		other := errors.New("refused")
		err = d.chunked(context.Background(), demoChunk, func(_ context.Context, _ bun.Tx, from, _ int) error {
			run(from)
			return other
		})
		require.ErrorIs(t, err, other)
		require.Equal(t, 1, runs[0])
	})
}
