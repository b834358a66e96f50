package dbtest

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// RunMigration runs the migration name (its ID and name, without the
// ".tx.up.sql" suffix) of an engine's embedded migrations fsys (holding
// the directory "migrations", with "postgres" and "sqlite" in it) again on
// db's dialect,
// statement by statement in one transaction, as Migrate runs it: a test
// writes rows as they were before the migration, runs it and checks what it
// made of them.
func RunMigration(t testing.TB, db *bun.DB, fsys fs.FS, name string) {
	t.Helper()
	dir := "sqlite"
	if db.Dialect().Name() == dialect.PG {
		dir = "postgres"
	}
	sql, err := fs.ReadFile(fsys, "migrations/"+dir+"/"+name+".tx.up.sql")
	if err != nil {
		t.Fatalf("dbtest: migration %s: %v", name, err)
	}
	err = db.RunInTx(t.Context(), nil, func(ctx context.Context, tx bun.Tx) error {
		for stmt := range strings.SplitSeq(string(sql), "--bun:split") {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("%w\n%s", err, stmt)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("dbtest: migration %s: %v", name, err)
	}
}
