package storage_test

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// QueryBound answers what bun's own run of the query answers, with and
// without the driver's statement cache, in a transaction too, and on
// PostgreSQL each later call with other values (UUIDs, times and byte
// strings) sends the same statement.
func TestQueryBound(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		types := "TEXT NOT NULL, at TEXT NOT NULL, h BLOB NOT NULL"
		if db.Dialect().Name() == dialect.PG {
			types = "UUID NOT NULL, at TIMESTAMPTZ NOT NULL, h BYTEA NOT NULL"
		}
		_, err := db.ExecContext(ctx, "CREATE TABLE bound_rows (tenant_id "+types+", name TEXT NOT NULL)")
		require.NoError(t, err)
		tenants := []uuid.UUID{uuid.New(), uuid.New()}
		base := time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC)
		for i := range 12 {
			_, err := db.ExecContext(ctx, "INSERT INTO bound_rows VALUES (?, ?, ?, ?)", tenants[i%2], base.Add(time.Duration(i)*time.Hour),
				[]byte{byte(i % 4), 0xab}, []string{"it's", "01a24dc8-ccbb-7947-94f9-6a21f2920abd", "山田"}[i%3])
			require.NoError(t, err)
		}
		query := func(db bun.IDB, tenant uuid.UUID, from time.Time) *bun.SelectQuery {
			return db.NewSelect().TableExpr("bound_rows AS b").ColumnExpr("b.tenant_id, b.at, b.name").
				Where("b.tenant_id = ?", tenant).Where("b.at >= ?", from).Where("b.name <> ?", "it's").
				Where("b.h <> ?", []byte{byte(from.Hour() % 4), 0xab}).
				OrderExpr("b.at")
		}
		type row struct {
			Tenant uuid.UUID `bun:"tenant_id"`
			At     time.Time `bun:"at"`
			Name   string    `bun:"name"`
		}
		read := func(t *testing.T, db bun.IDB, mode any, tenant uuid.UUID, from time.Time) []row {
			rows, err := storage.QueryBound(ctx, db, mode, query(db, tenant, from))
			require.NoError(t, err)
			defer rows.Close()
			var got []row
			for rows.Next() {
				var r row
				var at bun.NullTime
				require.NoError(t, rows.Scan(&r.Tenant, &at, &r.Name))
				r.At = at.UTC()
				got = append(got, r)
			}
			require.NoError(t, rows.Err())
			return got
		}
		// Hooks added through storage see the statement as bun would
		// have sent it.
		rec := dbtest.Record(db)
		rows, err := storage.QueryBound(ctx, db, nil, query(db, tenants[0], base))
		require.NoError(t, err)
		require.NoError(t, rows.Close())
		require.Equal(t, []string{query(db, tenants[0], base).String()}, rec.Take())

		cache := dbtest.StatementCache(t, db)
		if db.Dialect().Name() == dialect.PG {
			require.NotNil(t, cache)
			require.Nil(t, dbtest.StatementCache(t, dbtest.Pooler(t, db)), "a handle behind a transaction-mode pooler")
		}
		for _, mode := range []any{nil, cache} {
			for _, tenant := range tenants {
				for _, from := range []time.Time{base, base.Add(5 * time.Hour)} {
					var want []row
					require.NoError(t, query(db, tenant, from).Scan(ctx, &want))
					for i := range want {
						want[i].At = want[i].At.UTC()
					}
					require.NotEmpty(t, want)
					require.Equal(t, want, read(t, db, mode, tenant, from))
					var scanned []row
					require.NoError(t, storage.ScanBound(ctx, db, mode, query(db, tenant, from), &scanned))
					for i := range scanned {
						scanned[i].At = scanned[i].At.UTC()
					}
					require.Equal(t, want, scanned)
					var one row
					require.NoError(t, storage.ScanBound(ctx, db, mode, query(db, tenant, from), &one))
					one.At = one.At.UTC()
					require.Equal(t, want[0], one, "one model: the first row")
					require.ErrorIs(t, storage.ScanBound(ctx, db, mode, query(db, uuid.New(), from), &one), sql.ErrNoRows,
						"one model, no row: reported")
					require.Error(t, storage.ScanBound(ctx, db, mode, query(db, tenant, from), one), "not a pointer")
					require.NoError(t, db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
						require.Equal(t, want, read(t, tx, mode, tenant, from))
						return nil
					}))
				}
			}
		}
		if db.Dialect().Name() == dialect.SQLite {
			// Other values (blobs too), one text: it is kept once.
			require.Len(t, storage.KeptStatements(db), 1)
		}
		if db.Dialect().Name() == dialect.PG {
			// Other values, one statement: a connection's cache holds it
			// once.
			conn, err := db.Conn(ctx)
			require.NoError(t, err)
			defer func() { _ = conn.Close() }()
			for _, tenant := range tenants {
				for _, from := range []time.Time{base, base.Add(5 * time.Hour)} {
					read(t, conn, cache, tenant, from)
				}
			}
			var n int
			require.NoError(t, conn.QueryRowContext(ctx,
				"SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%bound_rows AS b%'").Scan(&n))
			require.Equal(t, 1, n)
		}
	})
}

// On SQLite, QueryBound prepares a text when it runs the second time and
// keeps it for later calls with other values, in transactions too; it
// keeps the most recently used texts only, closing the statements of
// those it drops, answering right while other calls use them, and Forget
// closes the rest.
func TestQueryBoundStatementCache(t *testing.T) {
	db := dbtest.SQLite(t)
	ctx := context.Background()
	_, err := db.ExecContext(ctx, "CREATE TABLE cached_rows (tenant_id TEXT NOT NULL, n INTEGER NOT NULL)")
	require.NoError(t, err)
	tenants := []uuid.UUID{uuid.New(), uuid.New()}
	for i := range 10 {
		_, err := db.ExecContext(ctx, "INSERT INTO cached_rows VALUES (?, ?)", tenants[i%2], i)
		require.NoError(t, err)
	}
	// query selects the tenant's rows above min; a different min is a
	// different text (numbers stay in the text).
	query := func(db bun.IDB, tenant uuid.UUID, min int) *bun.SelectQuery {
		return db.NewSelect().TableExpr("cached_rows").Column("n").
			Where("tenant_id = ?", tenant).Where("n > ?", min).OrderExpr("n")
	}
	read := func(db bun.IDB, tenant uuid.UUID, min int) []int {
		var got []int
		require.NoError(t, storage.ScanBound(ctx, db, nil, query(db, tenant, min), &got))
		return got
	}
	want := func(tenant uuid.UUID, min int) []int {
		var got []int
		require.NoError(t, query(db, tenant, min).Scan(ctx, &got))
		return got
	}
	require.Equal(t, want(tenants[0], 0), read(db, tenants[0], 0))
	texts, prepared := storage.CachedStatements(db)
	require.Equal(t, []int{1, 0}, []int{texts, prepared}, "the first run remembers the text")
	require.Equal(t, want(tenants[1], 0), read(db, tenants[1], 0))
	texts, prepared = storage.CachedStatements(db)
	require.Equal(t, []int{1, 1}, []int{texts, prepared}, "the second, for another tenant, prepares it")
	require.NoError(t, db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for range 3 {
			require.Equal(t, want(tenants[0], 0), read(tx, tenants[0], 0))
		}
		require.Equal(t, want(tenants[0], 3), read(tx, tenants[0], 3), "a new text in a transaction")
		require.Equal(t, want(tenants[0], 3), read(tx, tenants[0], 3), "not prepared in a transaction")
		return nil
	}))
	texts, prepared = storage.CachedStatements(db)
	require.Equal(t, []int{2, 1}, []int{texts, prepared})
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	require.Equal(t, want(tenants[1], 0), read(conn, tenants[1], 0), "on a connection, unprepared")
	require.NoError(t, conn.Close())

	// closed reports whether st was closed (it then refuses to run).
	closed := func(st *sql.Stmt) bool {
		rows, err := st.QueryContext(ctx, tenants[0])
		if err == nil {
			require.NoError(t, rows.Close())
			return false
		}
		require.ErrorContains(t, err, "statement is closed")
		return true
	}
	first := storage.KeptStatements(db)
	require.Len(t, first, 1)
	require.False(t, closed(first[0]))

	// Many other texts at once, each twice in a row: the cache keeps the
	// most recent, and the first text's statement, dropped, is closed.
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 3 * storage.SQLiteKept {
				min := 1 + (i/2+7*g)%(storage.SQLiteKept+20) // each text twice in a row
				var got, byBun []int
				if err := storage.ScanBound(ctx, db, nil, query(db, tenants[i%2], min), &got); err != nil {
					t.Error(err)
					return
				}
				if err := query(db, tenants[i%2], min).Scan(ctx, &byBun); err != nil {
					t.Error(err)
					return
				}
				if !slices.Equal(got, byBun) {
					t.Errorf("min %d: got %v", min, got)
					return
				}
			}
		})
	}
	wg.Wait()
	texts, prepared = storage.CachedStatements(db)
	require.Equal(t, storage.SQLiteKept, texts)
	require.Positive(t, prepared)
	require.True(t, closed(first[0]), "dropped from the cache")
	kept := storage.KeptStatements(db)
	for _, st := range kept {
		require.False(t, closed(st))
	}
	storage.Forget(db)
	texts, _ = storage.CachedStatements(db)
	require.Zero(t, texts)
	for _, st := range kept {
		require.True(t, closed(st), "closed by Forget")
	}
	require.Equal(t, want(tenants[0], 0), read(db, tenants[0], 0), "after Forget, the cache starts again")

	// A statement with more values than QueryBound binds runs as bun
	// writes it, and nothing is remembered of it.
	many := make([]uuid.UUID, 1001)
	for i := range many {
		many[i] = uuid.New()
	}
	many[500] = tenants[1]
	wide := func(db bun.IDB) *bun.SelectQuery {
		return db.NewSelect().TableExpr("cached_rows").Column("n").Where("tenant_id IN (?)", bun.List(many)).OrderExpr("n")
	}
	texts, _ = storage.CachedStatements(db)
	var got, byBun []int
	require.NoError(t, storage.ScanBound(ctx, db, nil, wide(db), &got))
	require.NoError(t, wide(db).Scan(ctx, &byBun))
	require.Equal(t, byBun, got)
	require.Equal(t, want(tenants[1], -1), got)
	after, _ := storage.CachedStatements(db)
	require.Equal(t, texts, after)
}
