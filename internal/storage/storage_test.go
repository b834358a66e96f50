package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/internal/storage"
)

func TestErrMapsDriverErrors(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		for _, q := range []string{
			"CREATE TABLE parent (id INTEGER PRIMARY KEY)",
			"CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id), n INTEGER CHECK (n > 0))",
			"INSERT INTO parent (id) VALUES (1)",
		} {
			_, err := db.ExecContext(ctx, q)
			require.NoError(t, err)
		}
		_, err := db.ExecContext(ctx, "INSERT INTO parent (id) VALUES (1)")
		require.ErrorIs(t, storage.Err(err), kerr.ErrConflict, "unique")
		_, err = db.ExecContext(ctx, "INSERT INTO child (id, parent_id, n) VALUES (1, 99, 1)")
		require.ErrorIs(t, storage.Err(err), kerr.ErrInvalid, "foreign key")
		_, err = db.ExecContext(ctx, "INSERT INTO child (id, parent_id, n) VALUES (2, 1, 0)")
		require.ErrorIs(t, storage.Err(err), kerr.ErrInvalid, "check")
		// A trigger that refuses a row is a refusal of the data too.
		if d, _ := storage.Of(db); d == storage.Postgres {
			_, err = db.ExecContext(ctx, `CREATE FUNCTION no_sevens() RETURNS trigger AS $$
				BEGIN IF NEW.id = 7 THEN RAISE EXCEPTION 'no sevens'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`)
			require.NoError(t, err)
			_, err = db.ExecContext(ctx, "CREATE TRIGGER no_sevens BEFORE INSERT ON parent FOR EACH ROW EXECUTE FUNCTION no_sevens()")
			require.NoError(t, err)
		} else {
			_, err = db.ExecContext(ctx, "CREATE TRIGGER no_sevens BEFORE INSERT ON parent WHEN NEW.id = 7 BEGIN SELECT RAISE(ABORT, 'no sevens'); END")
			require.NoError(t, err)
		}
		_, err = db.ExecContext(ctx, "INSERT INTO parent (id) VALUES (7)")
		require.ErrorIs(t, storage.Err(err), kerr.ErrInvalid, "trigger")
		var n int
		err = db.NewSelect().TableExpr("parent").Column("id").Where("id = 2").Scan(ctx, &n)
		require.ErrorIs(t, storage.Err(err), kerr.ErrNotFound)
		require.ErrorIs(t, storage.Err(err), sql.ErrNoRows, "the original stays in the chain")
		require.NoError(t, storage.Err(nil))
		other := errors.New("boom")
		require.Equal(t, other, storage.Err(other))

		// InTx rolls back on error and maps it; nested calls use savepoints.
		err = storage.InTx(ctx, db, func(ctx context.Context, tx bun.IDB) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO parent (id) VALUES (2)"); err != nil {
				return err
			}
			inner := storage.InTx(ctx, tx, func(ctx context.Context, tx bun.IDB) error {
				_, err := tx.ExecContext(ctx, "INSERT INTO parent (id) VALUES (3)")
				if err != nil {
					return err
				}
				return fmt.Errorf("inner fails")
			})
			require.Error(t, inner)
			_, err := tx.ExecContext(ctx, "INSERT INTO parent (id) VALUES (1)")
			return err
		})
		require.ErrorIs(t, err, kerr.ErrConflict)
		count, err := db.NewSelect().TableExpr("parent").Count(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 1, count)
	})
}

func TestContainsEscapes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		_, err := db.ExecContext(ctx, "CREATE TABLE words (w TEXT)")
		require.NoError(t, err)
		for _, w := range []string{"100%", "1000", "a_b", "axb", `c\d`} {
			_, err := db.ExecContext(ctx, "INSERT INTO words (w) VALUES (?)", w)
			require.NoError(t, err)
		}
		for q, want := range map[string][]string{"0%": {"100%"}, "a_b": {"a_b"}, `\`: {`c\d`}, "00": {"100%", "1000"}} {
			var got []string
			err := db.NewSelect().TableExpr("words").Column("w").Where(`w LIKE ? ESCAPE '\'`, storage.Contains(q)).Order("w").Scan(ctx, &got)
			require.NoError(t, err)
			require.Equal(t, want, got, q)
		}
	})
}

func TestGramsValue(t *testing.T) {
	t.Parallel()
	v, err := storage.Grams{"田中", `a"b`, `c\d`}.Value()
	require.NoError(t, err)
	require.Equal(t, `{"田中","a\"b","c\\d"}`, v)
	v, err = storage.Grams{}.Value()
	require.NoError(t, err)
	require.Equal(t, "{}", v)
}

func TestAffected(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		for _, q := range []string{
			"CREATE TABLE thing (id INTEGER PRIMARY KEY, n INTEGER CHECK (n > 0))",
			"INSERT INTO thing (id, n) VALUES (1, 1)",
		} {
			_, err := db.ExecContext(ctx, q)
			require.NoError(t, err)
		}
		res, err := db.ExecContext(ctx, "UPDATE thing SET n = 2 WHERE id = 1")
		require.NoError(t, storage.Affected(res, err, kerr.ErrConflict))
		res, err = db.ExecContext(ctx, "UPDATE thing SET n = 2 WHERE id = 2")
		require.ErrorIs(t, storage.Affected(res, err, kerr.ErrConflict), kerr.ErrConflict)
		res, err = db.ExecContext(ctx, "DELETE FROM thing WHERE id = 2")
		require.ErrorIs(t, storage.Affected(res, err, kerr.ErrNotFound), kerr.ErrNotFound)
		res, err = db.ExecContext(ctx, "UPDATE thing SET n = 0 WHERE id = 1")
		require.ErrorIs(t, storage.Affected(res, err, kerr.ErrNotFound), kerr.ErrInvalid)
	})
}
