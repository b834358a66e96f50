package storage_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// The SQLite side of the gram index: an FTS5 table over the grams in
// hexadecimal, whose rowids the owners hold.
func TestGramIndexSQLite(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE notes (tenant_id TEXT NOT NULL, id TEXT NOT NULL, gram_doc INTEGER, PRIMARY KEY (tenant_id, id))",
		"CREATE UNIQUE INDEX notes_gram_doc ON notes (gram_doc)",
		"CREATE VIRTUAL TABLE note_grams_fts USING fts5(grams, content='', contentless_delete=1, detail=none, tokenize='ascii')",
		`CREATE TRIGGER notes_gram_doc_delete AFTER DELETE ON notes WHEN old.gram_doc IS NOT NULL BEGIN
			DELETE FROM note_grams_fts WHERE rowid = old.gram_doc; END`,
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	ix := storage.GramIndex{Column: "grams", Table: "notes", Doc: "gram_doc", FTS: "note_grams_fts"}
	t1, t2 := uuid.New(), uuid.New()
	a, b, c := uuid.New(), uuid.New(), uuid.New()
	for _, n := range []struct{ tenant, id uuid.UUID }{{t1, a}, {t1, b}, {t2, c}} {
		_, err := db.ExecContext(ctx, "INSERT INTO notes (tenant_id, id) VALUES (?, ?)", n.tenant, n.id)
		require.NoError(t, err)
	}
	find := func(tenant uuid.UUID, grams ...string) []uuid.UUID {
		t.Helper()
		expr, args := ix.Filter(storage.SQLite, "n", tenant, grams)
		var ids []uuid.UUID
		require.NoError(t, db.NewSelect().TableExpr("notes AS n").Column("n.id").
			Where("n.tenant_id = ?", tenant).Where(expr, args...).OrderExpr("n.id").Scan(ctx, &ids))
		return ids
	}
	sorted := func(ids ...uuid.UUID) []uuid.UUID {
		if len(ids) == 2 && ids[0].String() > ids[1].String() {
			ids[0], ids[1] = ids[1], ids[0]
		}
		return ids
	}
	require.NoError(t, ix.Save(ctx, db, t1, []storage.GramSet{
		{Owner: a, Grams: storage.Grams{"田中", "中太", "09", `a"`}},
		{Owner: b, Grams: storage.Grams{"田中", "ab"}},
	}))
	require.NoError(t, ix.Save(ctx, db, t2, []storage.GramSet{{Owner: c, Grams: storage.Grams{"田中"}}}))
	require.Equal(t, sorted(a, b), find(t1, "田中"), "one gram, the tenant's rows only")
	require.Equal(t, []uuid.UUID{a}, find(t1, "田中", "中太"), "every gram")
	require.Equal(t, []uuid.UUID{a}, find(t1, "09"), "ASCII grams are tokens too")
	require.Equal(t, []uuid.UUID{a}, find(t1, `a"`), "quotes are hex like any byte")
	require.Empty(t, find(t1, "AB"), "grams are case-sensitive: folding is the caller's")
	require.Equal(t, []uuid.UUID{c}, find(t2, "田中"))

	docs := func() map[uuid.UUID]int64 {
		t.Helper()
		rows, err := db.QueryContext(ctx, "SELECT id, gram_doc FROM notes WHERE gram_doc IS NOT NULL")
		require.NoError(t, err)
		out := map[uuid.UUID]int64{}
		for rows.Next() {
			var id uuid.UUID
			var doc int64
			require.NoError(t, rows.Scan(&id, &doc))
			out[id] = doc
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
		return out
	}
	before := docs()
	require.Len(t, before, 3, "every row saved has a doc")

	// Saving replaces the grams (the row keeps its doc); saving none leaves
	// the row unfindable.
	require.NoError(t, ix.Save(ctx, db, t1, []storage.GramSet{{Owner: a, Grams: storage.Grams{"山田"}}, {Owner: b}}))
	require.Empty(t, find(t1, "田中"))
	require.Equal(t, []uuid.UUID{a}, find(t1, "山田"))
	require.Equal(t, before, docs(), "replacing grams keeps the docs")

	// Grams of a row that is not the tenant's are refused.
	require.ErrorIs(t, ix.Save(ctx, db, t2, []storage.GramSet{{Owner: a, Grams: storage.Grams{"田中"}}}), kerr.ErrNotFound)
	require.Equal(t, []uuid.UUID{a}, find(t1, "山田"), "a's grams stay as they were")

	// Deleting the owner deletes, through the trigger, its grams.
	_, err := db.ExecContext(ctx, "DELETE FROM notes WHERE id = ?", a)
	require.NoError(t, err)
	var postings int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM note_grams_fts WHERE note_grams_fts MATCH ?",
		`"E5B1B1E794B0"`).Scan(&postings))
	require.Zero(t, postings, "山田 went with a")

	// New rows carry the docs after the largest in their insert, and their
	// grams are indexed under them (a row without grams has no posting).
	type note struct {
		bun.BaseModel `bun:"table:notes"`
		Tenant        uuid.UUID     `bun:"tenant_id"`
		ID            uuid.UUID     `bun:"id"`
		Grams         storage.Grams `bun:"grams"`
	}
	d, e := uuid.New(), uuid.New()
	require.NoError(t, ix.InsertRow(ctx, db, db.NewInsert().Model(&note{Tenant: t1, ID: d}), storage.Grams{"川田"}))
	require.Equal(t, max(before[b], before[c])+1, docs()[d])
	require.Equal(t, []uuid.UUID{d}, find(t1, "川田"))
	require.Empty(t, find(t1, "山田"))
	require.NoError(t, storage.InTx(ctx, db, func(ctx context.Context, tx bun.IDB) error {
		w, err := ix.Writer(tx)
		require.NoError(t, err)
		v, err := w.Carry(ctx, []storage.Grams{{"川口"}, nil})
		require.NoError(t, err)
		require.Equal(t, []any{docs()[d] + 1, docs()[d] + 2}, v)
		_, err = tx.ExecContext(ctx, "INSERT INTO notes (tenant_id, id, gram_doc) VALUES (?, ?, ?), (?, ?, ?)", t1, e, v[0], t1, uuid.New(), v[1])
		require.NoError(t, err)
		require.NoError(t, w.Index(ctx))
		return w.Close()
	}))
	require.Equal(t, []uuid.UUID{e}, find(t1, "川口"))
	require.Len(t, docs(), 5, "b, c, d, e and the row without grams")
	_, err = db.ExecContext(ctx, "DELETE FROM notes WHERE id = ? OR id = ? OR gram_doc = ?", d, e, docs()[e]+1)
	require.NoError(t, err)

	require.NoError(t, ix.Save(ctx, db, t1, nil))
	require.NoError(t, ix.Save(ctx, dbtest.SQLite(t), t1, nil), "nothing to save touches no table")

	// Match answers like Filter in each of its shapes: no row, a list of
	// IDs (up to MatchList rows of the tenant), a check of each row.
	match := func(tenant uuid.UUID, grams ...string) (string, []uuid.UUID) {
		t.Helper()
		expr, args, err := ix.Match(ctx, db, "n", tenant, grams, 21)
		require.NoError(t, err)
		var ids []uuid.UUID
		require.NoError(t, db.NewSelect().TableExpr("notes AS n").Column("n.id").
			Where("n.tenant_id = ?", tenant).Where(expr, args...).OrderExpr("n.id").Scan(ctx, &ids))
		require.Equal(t, find(tenant, grams...), ids, "%v: Match keeps what Filter keeps", grams)
		return expr, ids
	}
	expr, ids := match(t1, "田中")
	require.Empty(t, ids)
	require.Equal(t, "0 = 1", expr, "no row of the tenant has the gram")
	require.NoError(t, ix.Save(ctx, db, t1, []storage.GramSet{{Owner: b, Grams: storage.Grams{"山田"}}}))
	expr, ids = match(t1, "山田")
	require.Equal(t, []uuid.UUID{b}, ids)
	require.Contains(t, expr, "n.id IN (", "a few rows are listed")
	many := make([]storage.GramSet, storage.MatchList)
	for i := range many {
		many[i] = storage.GramSet{Owner: uuid.New(), Grams: storage.Grams{"山田", "見積"}}
		_, err := db.ExecContext(ctx, "INSERT INTO notes (tenant_id, id) VALUES (?, ?)", t1, many[i].Owner)
		require.NoError(t, err)
	}
	require.NoError(t, ix.Save(ctx, db, t1, many))
	require.NoError(t, ix.Save(ctx, db, t2, []storage.GramSet{{Owner: c, Grams: storage.Grams{"見積"}}}))
	expr, ids = match(t1, "山田")
	require.Len(t, ids, storage.MatchList+1, "b and the many")
	require.Contains(t, expr, "+n.gram_doc IN (SELECT rowid", "more than MatchList rows are checked one by one")
	var steps []string
	rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN SELECT n.id FROM notes AS n WHERE n.tenant_id = ? AND "+expr,
		append([]any{t1}, mustMatchArgs(t, ix, db, t1, "山田")...)...)
	require.NoError(t, err)
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		steps = append(steps, detail)
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	require.NotContains(t, strings.Join(steps, "\n"), "notes_gram_doc",
		"each row's doc is checked against the posting list, the rows not looked up once per posting")
	expr, ids = match(t1, "山田", "見積")
	require.Len(t, ids, storage.MatchList, "every gram: the many only")
	require.Contains(t, expr, "n.id IN (", "exactly MatchList rows are listed")
	_, ids = match(t2, "見積")
	require.Equal(t, []uuid.UUID{c}, ids, "the other tenant's rows only")
}

// mustMatchArgs returns the arguments of ix.Match's fragment.
func mustMatchArgs(t *testing.T, ix storage.GramIndex, db bun.IDB, tenant uuid.UUID, grams ...string) []any {
	t.Helper()
	_, args, err := ix.Match(context.Background(), db, "n", tenant, grams, 21)
	require.NoError(t, err)
	return args
}

// The PostgreSQL side of Match: the statistics ANALYZE keeps decide
// between the index (rare grams, or a query that reads every match) and a
// check of each row walked (grams most rows have), and both keep the rows
// Filter keeps.
func TestGramIndexMatchPostgres(t *testing.T) {
	t.Parallel()
	db := dbtest.Postgres(t)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE notes (tenant_id uuid NOT NULL, id uuid NOT NULL, grams text[] NOT NULL, PRIMARY KEY (tenant_id, id))",
		"CREATE INDEX notes_grams ON notes USING gin (grams)",
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	ix := storage.GramIndex{Column: "grams", Table: "notes"}
	tenant := uuid.New()
	// Every row has 見積, one in a hundred 手付.
	_, err := db.ExecContext(ctx, `INSERT INTO notes (tenant_id, id, grams) SELECT ?, gen_random_uuid(),
		CASE WHEN i % 100 = 0 THEN '{見積,積書,手付}'::text[] ELSE '{見積,積書}' END FROM generate_series(1, 3000) AS i`, tenant)
	require.NoError(t, err)
	match := func(page int, grams ...string) string {
		t.Helper()
		expr, args, err := ix.Match(ctx, db, "n", tenant, grams, page)
		require.NoError(t, err)
		count := func(expr string, args ...any) int {
			n, err := db.NewSelect().TableExpr("notes AS n").Where("n.tenant_id = ?", tenant).Where(expr, args...).Count(ctx)
			require.NoError(t, err)
			return int(n)
		}
		fexpr, fargs := ix.Filter(storage.Postgres, "n", tenant, grams)
		require.Equal(t, count(fexpr, fargs...), count(expr, args...), "%v: Match keeps what Filter keeps", grams)
		return expr
	}
	_, err = db.ExecContext(ctx, "ANALYZE notes")
	require.NoError(t, err)
	require.Contains(t, match(21, "見積", "積書"), "arraycontains(n.grams", "grams every row has: each row walked is checked")
	require.Contains(t, match(0, "見積", "積書"), "n.grams @>", "a count reads every match: the index")
	require.Contains(t, match(21, "見積", "手付"), "n.grams @>", "the rarest gram decides")
	require.Contains(t, match(21, "無い"), "n.grams @>", "a gram no row has")
	share := func(ix storage.GramIndex, r rune) (float64, bool) {
		t.Helper()
		s, ok, err := ix.RuneShare(ctx, db, r)
		require.NoError(t, err)
		return s, ok
	}
	s, ok := share(ix, '見')
	require.True(t, ok)
	require.InDelta(t, 1, s, 0.001, "見 is in every row's 見積")
	s, _ = share(ix, '手')
	require.InDelta(t, 0.01, s, 0.001, "手 is in a hundredth's 手付")
	s, ok = share(ix, '無')
	require.True(t, ok)
	require.InDelta(t, 0.01, s, 0.001, "a character of no listed gram: at most the least share listed")
	_, ok = share(storage.GramIndex{Column: "grams", Table: "no_such_table"}, '見')
	require.False(t, ok, "no statistics")
	expr, _, err := ix.Match(ctx, db, "n", uuid.New(), []string{"見積"}, 21)
	require.NoError(t, err)
	require.Contains(t, expr, "n.grams @>", "a tenant without rows: the index")
}
