package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// bulkCols is the width of the test table: wide enough that a statement
// holds few rows (SQLite: 32 766 / 100 = 327, PostgreSQL: 655).
const bulkCols = 100

// A bulk insert splits its rows into statements under the parameter limit
// of the dialect (full ones, prepared once on SQLite, and a shorter last
// one), binds NULLs, UUIDs and times as bun writes them, casts on
// PostgreSQL, and returns what RETURNING gives.
func TestBulkInsert(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		d, err := storage.Of(db)
		require.NoError(t, err)
		var def strings.Builder
		def.WriteString("CREATE TABLE bulk (n integer NOT NULL PRIMARY KEY, id " + map[storage.Dialect]string{storage.SQLite: "TEXT", storage.Postgres: "uuid"}[d] +
			", at " + map[storage.Dialect]string{storage.SQLite: "TEXT", storage.Postgres: "timestamptz"}[d] +
			", tags " + map[storage.Dialect]string{storage.SQLite: "TEXT", storage.Postgres: "text[]"}[d])
		cols := []string{"n", "id", "at", "tags"}
		for i := len(cols); i < bulkCols; i++ {
			c := fmt.Sprintf("c%d", i)
			def.WriteString(", " + c + " text")
			cols = append(cols, c)
		}
		def.WriteString(")")
		_, err = db.ExecContext(ctx, def.String())
		require.NoError(t, err)

		spec := storage.BulkInsert{Table: "bulk", Columns: cols, Casts: map[string]string{"tags": "text[]"}, Suffix: " RETURNING n"}
		b, err := spec.Prepare(db)
		require.NoError(t, err)
		per := map[storage.Dialect]int{storage.SQLite: 327, storage.Postgres: 655}[d]
		require.Equal(t, per, b.MaxRows())

		at := time.Date(2026, 12, 9, 1, 2, 3, 456000, time.FixedZone("JST", 9*3600))
		id := uuid.New()
		rows := 2*per + 1
		values := make([]any, 0, rows*bulkCols)
		for n := range rows {
			values = append(values, n, id, at, storage.Grams{"田中", `a"`})
			for i := 4; i < bulkCols; i++ {
				if n%2 == 0 {
					values = append(values, nil)
				} else {
					values = append(values, fmt.Sprintf("%d-%d", n, i))
				}
			}
		}
		var returned []int
		require.NoError(t, b.Query(ctx, values, func(r *sql.Rows) error {
			var n int
			returned = append(returned, n)
			return r.Scan(&returned[len(returned)-1])
		}))
		require.Len(t, returned, rows)
		require.NoError(t, b.Close())

		var got struct {
			Count int
			Nulls int
			Last  string
		}
		require.NoError(t, db.NewRaw("SELECT count(*), count(*) - count(c4), max(CASE WHEN n = ? THEN c99 END) FROM bulk", 2*per-1).
			Scan(ctx, &got.Count, &got.Nulls, &got.Last))
		require.Equal(t, rows, got.Count)
		require.Equal(t, per+1, got.Nulls, "nil is NULL")
		require.Equal(t, fmt.Sprintf("%d-99", 2*per-1), got.Last)

		// A row bun writes and a row the bulk insert wrote hold the same.
		_, err = db.NewRaw("INSERT INTO bulk (n, id, at, tags) VALUES (?, ?, ?, ?)", -1, id, at, storage.Grams{"田中", `a"`}).Exec(ctx)
		require.NoError(t, err)
		var texts []string
		require.NoError(t, db.NewRaw("SELECT DISTINCT CAST(id AS text) || ' ' || CAST(at AS text) || ' ' || CAST(tags AS text) FROM bulk").Scan(ctx, &texts))
		require.Len(t, texts, 1, "bun and the bulk insert wrote the same values: %v", texts)

		// Values that are not whole rows are refused.
		b, err = spec.Prepare(db)
		require.NoError(t, err)
		require.ErrorContains(t, b.Exec(ctx, values[:bulkCols+1]), "101 values for 100 columns")
		require.NoError(t, b.Close())
	})
}

// Copy writes the values of a bulk insert in COPY's text format: escapes,
// NULL, booleans, numbers, times, driver.Valuer's value.
func TestBulkInsertCopy(t *testing.T) {
	t.Parallel()
	spec := storage.BulkInsert{Table: "t", Columns: []string{"a", "b", "c", "d", "e"}}
	id := uuid.MustParse("01234567-89ab-cdef-0123-456789abcdef")
	at := time.Date(2026, 12, 9, 1, 2, 3, 456000, time.UTC)
	values := []any{"x\ty\\z\r\n", nil, true, int64(7), at,
		id, storage.Grams{"田中", `a"\`}, false, 1.5, []byte{0xca, 0xfe},
		&id, strings.Repeat("長", 100), nil, nil, nil}
	want := "x\\ty\\\\z\\r\\n\t\\N\tt\t7\t2026-12-09 01:02:03.000456Z\n" +
		"01234567-89ab-cdef-0123-456789abcdef\t{\"田中\",\"a\\\\\"\\\\\\\\\"}\tf\t1.5\t\\\\xcafe\n" +
		"01234567-89ab-cdef-0123-456789abcdef\t" + strings.Repeat("長", 100) + "\t\\N\t\\N\t\\N\n"
	query, data, err := spec.Copy(values)
	require.NoError(t, err)
	require.Equal(t, "COPY t (a, b, c, d, e) FROM STDIN", query)
	got, err := io.ReadAll(data)
	require.NoError(t, err)
	require.Equal(t, want, string(got))
	require.NoError(t, data.Err())
	// Read in small pieces, rows span reads.
	_, data, err = spec.Copy(values)
	require.NoError(t, err)
	got, err = io.ReadAll(iotest.OneByteReader(data))
	require.NoError(t, err)
	require.Equal(t, want, string(got))

	_, _, err = spec.Copy([]any{"one"})
	require.ErrorContains(t, err, "1 values for 5 columns")
	// A value that cannot be encoded ends the data after the rows before
	// it, with the error.
	_, data, err = spec.Copy(append([]any{"ok", nil, nil, nil, nil}, struct{}{}, nil, nil, nil, nil))
	require.NoError(t, err)
	got, err = io.ReadAll(data)
	require.ErrorContains(t, err, "t.a: type struct {} cannot be copied")
	require.Equal(t, "ok\t\\N\t\\N\t\\N\t\\N\n", string(got))
	require.Equal(t, err, data.Err())
}
