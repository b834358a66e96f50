package customer_test

import (
	"context"
	"io/fs"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestGramDocMigration builds the bigram index's former SQLite layout (the
// doc map customer_grams, doc → tenant and customer, with its trigger)
// from customers the engine indexed, runs the migration that moves each
// customer's doc into customers.gram_doc, and checks that every customer
// keeps its doc, searches answer as before, a new customer takes a doc of
// its own and a purge still clears the customer's postings. (The migration
// is SQLite's alone: on PostgreSQL the grams are a column of the row.)
func TestGramDocMigration(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	f := setup(t, db)
	ctx := context.Background()
	yamada, err := f.svc.Create(f.admin, taro())
	require.NoError(t, err)
	p := taro()
	p.FamilyName, p.FamilyKana, p.Memo = "川田", "かわだ", ""
	kawada, err := f.svc.Create(f.admin, p)
	require.NoError(t, err)
	docs := func() map[uuid.UUID]int64 {
		t.Helper()
		rows, err := db.QueryContext(ctx, "SELECT id, gram_doc FROM customers")
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
	search := func(text string) []uuid.UUID {
		t.Helper()
		page, err := f.svc.Search(f.admin, customer.Query{Text: text})
		require.NoError(t, err)
		var ids []uuid.UUID
		for _, c := range page.Customers {
			ids = append(ids, c.ID)
		}
		return ids
	}
	before := docs()
	require.Len(t, before, 2)
	require.Equal(t, []uuid.UUID{yamada.ID}, search("山田"))
	require.ElementsMatch(t, []uuid.UUID{yamada.ID, kawada.ID}, search("太郎"))

	// The layout before the migration, with the same docs.
	for _, q := range []string{
		"DROP TRIGGER customers_gram_doc_delete",
		"DROP INDEX customers_gram_doc",
		`CREATE TABLE customer_grams (doc INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, owner_id TEXT NOT NULL,
			UNIQUE (tenant_id, owner_id), FOREIGN KEY (tenant_id, owner_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE)`,
		"INSERT INTO customer_grams (doc, tenant_id, owner_id) SELECT gram_doc, tenant_id, id FROM customers",
		"CREATE TRIGGER customer_grams_fts_delete AFTER DELETE ON customer_grams BEGIN DELETE FROM customer_grams_fts WHERE rowid = old.doc; END",
		"ALTER TABLE customers DROP COLUMN gram_doc",
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	sub, err := fs.Sub(customer.Migrations, "migrations")
	require.NoError(t, err)
	dbtest.RunMigration(t, db, sub, "20261211100004_gram_doc")

	require.Equal(t, before, docs(), "every customer keeps its doc")
	var maps int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE name = 'customer_grams'").Scan(&maps))
	require.Zero(t, maps, "the doc map is gone")
	require.Equal(t, []uuid.UUID{yamada.ID}, search("山田"))
	require.ElementsMatch(t, []uuid.UUID{yamada.ID, kawada.ID}, search("太郎"))

	p.FamilyName, p.FamilyKana = "森田", "もりた"
	morita, err := f.svc.Create(f.admin, p)
	require.NoError(t, err)
	require.Equal(t, max(before[yamada.ID], before[kawada.ID])+1, docs()[morita.ID], "the next doc after the largest")
	require.Equal(t, []uuid.UUID{morita.ID}, search("森田"))

	// 山田 as its FTS5 token (the hexadecimal of its UTF-8 bytes).
	postings := func() int {
		t.Helper()
		var n int
		require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM customer_grams_fts WHERE customer_grams_fts MATCH ?",
			`"E5B1B1E794B0"`).Scan(&n))
		return n
	}
	require.Equal(t, 1, postings())
	require.NoError(t, f.svc.Purge(f.admin, yamada.ID))
	require.Zero(t, postings(), "the purge took the customer's grams")
	require.Empty(t, search("山田"))
}
