package migration_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/migration"
)

// set builds a set whose migration files (the same on both dialects) each
// create the table they are mapped to.
func set(name string, files map[string]string) migration.Set {
	fsys := fstest.MapFS{}
	for file, table := range files {
		for _, d := range []string{"postgres", "sqlite"} {
			fsys["migrations/"+d+"/"+file] = &fstest.MapFile{Data: []byte("CREATE TABLE " + table + " (id integer PRIMARY KEY)")}
		}
	}
	return migration.Set{Name: name, FS: fsys}
}

func tableExists(t *testing.T, db *bun.DB, table string) bool {
	t.Helper()
	_, err := db.NewSelect().TableExpr(table).ColumnExpr("1").Limit(1).Exec(context.Background())
	return err == nil
}

// A database made by a version whose initial migrations were since
// rewritten is refused before anything is applied, in any set.
func TestRunRefusesUnknownMigrations(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		old := set("old", map[string]string{"20261122000001_first.tx.up.sql": "old_first"})
		other := set("other", map[string]string{"20261122000001_other.tx.up.sql": "other_first"})
		require.NoError(t, migration.Run(ctx, db, old))
		require.True(t, tableExists(t, db, "old_first"))

		rewritten := set("old", map[string]string{"20261205000001_first.tx.up.sql": "new_first"})
		later := set("other", map[string]string{
			"20261122000001_other.tx.up.sql": "other_first",
			"20261205000002_other.tx.up.sql": "other_second",
		})
		err := migration.Run(ctx, db, later, rewritten)
		require.ErrorIs(t, err, migration.ErrUnknownMigration)
		require.ErrorContains(t, err, "migration: old:")
		require.ErrorContains(t, err, "applied migration 20261122000001,")
		require.False(t, tableExists(t, db, "new_first"))
		require.False(t, tableExists(t, db, "other_second"), "a set listed before the refused one is not migrated either")

		// A set whose applied migrations are all its own migrates as usual.
		require.NoError(t, migration.Run(ctx, db, other))
		require.NoError(t, migration.Run(ctx, db, later))
		require.True(t, tableExists(t, db, "other_second"))
	})
}
