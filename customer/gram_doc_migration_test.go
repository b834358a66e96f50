package customer_test

import (
	"context"
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
	dbtest.RunMigration(t, db, customer.Migrations, "20261211100004_gram_doc")

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

// TestNameGramsMigration builds PostgreSQL's former layout of the name
// grams (none stored in customers.grams, the expression index
// customers_name_grams over the SQL function customer_name_grams) from
// customers the engine wrote, runs the migration that stores them in the
// rows, and checks that each row gets the grams the engine derives, the
// index and the function are gone and names are found as before.
func TestNameGramsMigration(t *testing.T) {
	t.Parallel()
	db := dbtest.Postgres(t)
	f := setup(t, db)
	company, err := f.svc.Create(f.staff, customer.Profile{Kind: customer.Company, CompanyName: "株式会社ab-123", CompanyKana: "エービー",
		FamilyName: "中田", Address: "岡山県岡山市北区1丁目"})
	require.NoError(t, err)
	taro, err := f.svc.Create(f.staff, taro())
	require.NoError(t, err)
	ctx := context.Background()
	grams := func() map[uuid.UUID][]string {
		t.Helper()
		out := map[uuid.UUID][]string{}
		for _, id := range []uuid.UUID{taro.ID, company.ID} {
			var g []string
			require.NoError(t, db.NewRaw("SELECT g FROM customers AS c, unnest(c.grams) AS g WHERE c.id = ? ORDER BY g", id).Scan(ctx, &g))
			out[id] = g
		}
		return out
	}
	before := grams()
	require.Contains(t, before[company.ID], "~123")

	// The layout before the migration: the grams of the search text alone,
	// the function and its index.
	_, err = db.ExecContext(ctx, "UPDATE customers SET grams = ARRAY(SELECT g FROM unnest(grams) AS g WHERE g NOT LIKE '~%')")
	require.NoError(t, err)
	dbtest.RunMigration(t, db, customer.Migrations, "20261207000001_name_grams")
	require.NotEqual(t, before, grams())

	dbtest.RunMigration(t, db, customer.Migrations, "20261214000005_name_grams_in_grams")
	require.Equal(t, before, grams(), "the rows hold the grams the engine derives")
	var left int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM pg_class WHERE relname = 'customers_name_grams' AND relnamespace = current_schema()::regnamespace)
		+ (SELECT count(*) FROM pg_proc WHERE proname = 'customer_name_grams' AND pronamespace = current_schema()::regnamespace)`).Scan(&left))
	require.Zero(t, left, "the index and the function are gone")
	require.Equal(t, []uuid.UUID{taro.ID}, whereName(t, db, f, "やまだ"))
	require.Equal(t, []uuid.UUID{company.ID}, whereName(t, db, f, "ab-1"))
	require.Equal(t, []uuid.UUID{company.ID}, whereName(t, db, f, "株式"))
	require.Empty(t, whereName(t, db, f, "岡山"))
}
