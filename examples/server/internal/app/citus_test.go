package app_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/examples/server/internal/app"
	"github.com/kirokuhq/kiroku/internal/citus"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// Every table the server's Migrate makes (all engines, the schedule
// engine's included, plugins, the server's own) is distributable by tenant, and
// the distribution script covers them all in an order Citus accepts
// (PostgreSQL).
func TestSchemaIsDistributableByTenant(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		// CI's race step runs with -short: this reads the catalog and
		// starts no goroutines; the non-race step runs it.
		t.Skip("-short: a catalog check that starts no goroutines")
	}
	db := dbtest.Postgres(t)
	ctx := context.Background()
	require.NoError(t, app.Migrate(ctx, db))
	plan, err := citus.DefaultPlan()
	require.NoError(t, err)
	cat, err := citus.ReadCatalog(ctx, db)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(cat), len(plan))
	require.Empty(t, citus.CheckSchema(cat, plan))
	require.Empty(t, citus.DryRun(cat, plan))
}
