package contactlog

import (
	"context"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/migration"
)

// A database made before the private memo got its own search key
// (migrations up to 20261205200005) is upgraded by Migrate: the column is
// added, not assumed from an initial migration it already applied.
func TestMigrateUpgradesEarlierDatabase(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		early := fstest.MapFS{}
		require.NoError(t, fs.WalkDir(migrations, "migrations", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() > "20261205200005~" {
				return err
			}
			b, err := fs.ReadFile(migrations, path)
			early[path] = &fstest.MapFile{Data: b}
			return err
		}))
		deps, err := migration.Named("permission", "customer", "template", "outbox")
		require.NoError(t, err)
		require.NoError(t, migration.Run(ctx, db, append(deps, migration.Set{Name: migrationSet.Name, FS: early})...))
		require.NoError(t, Migrate(ctx, db))
		var n int // the column exists
		require.NoError(t, db.NewSelect().TableExpr("contact_records").ColumnExpr("count(*)").
			Where("private_search_text = ''").Scan(ctx, &n))
	})
}
