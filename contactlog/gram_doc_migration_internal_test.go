package contactlog

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/textnorm"
)

// TestGramDocMigration builds the bigram index's former SQLite layout (the
// doc map contact_record_grams, doc → tenant and record, with its trigger)
// from records indexed as the write path indexes them, runs the migration
// that moves each record's doc into contact_records.gram_doc, and checks
// that every record keeps its doc, is found by its words (its tenant's
// only), a new record takes a doc of its own and a purge still clears the
// record's postings. (The migration is SQLite's alone: on PostgreSQL the
// grams are a column of the row.)
func TestGramDocMigration(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	ctx := context.Background()
	require.NoError(t, Migrate(ctx, db))
	tenant, other := uuid.New(), uuid.New()
	at := time.Date(2026, 11, 1, 1, 0, 0, 0, time.UTC)
	add := func(tenant uuid.UUID, memo string) uuid.UUID {
		t.Helper()
		r := &Record{Entry: Entry{Template: template.KeyInterview, TemplateVersion: 1, PublicMemo: memo, ActualAt: at,
			Scope: permission.Scope{Kind: permission.ScopeCompany}},
			ID: uuid.New(), Tenant: tenant, Author: uuid.New(), CreatedAt: at, UpdatedAt: at, Version: 1}
		row := toRow(r)
		require.NoError(t, gramIndex.InsertRow(ctx, db, db.NewInsert().Model(&row), row.Grams))
		return r.ID
	}
	quote, greeting := add(tenant, "見積書をお送りした。"), add(tenant, "挨拶に伺った。")
	otherQuote, empty := add(other, "見積の相談。"), add(tenant, "")
	docs := func() map[uuid.UUID]int64 {
		t.Helper()
		rows, err := db.QueryContext(ctx, "SELECT id, gram_doc FROM contact_records")
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
	find := func(tenant uuid.UUID, word string) []uuid.UUID {
		t.Helper()
		expr, args, err := gramIndex.Match(ctx, db, "r", tenant, textnorm.Bigrams(word), 21)
		require.NoError(t, err)
		var ids []uuid.UUID
		require.NoError(t, db.NewSelect().TableExpr("contact_records AS r").Column("r.id").
			Where("r.tenant_id = ?", tenant).Where(expr, args...).Scan(ctx, &ids))
		return ids
	}
	before := docs()
	require.Len(t, before, 4, "a record without words has a doc too")
	require.Equal(t, []uuid.UUID{quote}, find(tenant, "見積"))

	// The layout before the migration, with the same docs.
	for _, q := range []string{
		"DROP TRIGGER contact_records_gram_doc_delete",
		"DROP INDEX contact_records_gram_doc",
		`CREATE TABLE contact_record_grams (doc INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, owner_id TEXT NOT NULL,
			UNIQUE (tenant_id, owner_id), FOREIGN KEY (tenant_id, owner_id) REFERENCES contact_records (tenant_id, id) ON DELETE CASCADE)`,
		"INSERT INTO contact_record_grams (doc, tenant_id, owner_id) SELECT gram_doc, tenant_id, id FROM contact_records",
		`CREATE TRIGGER contact_record_grams_fts_delete AFTER DELETE ON contact_record_grams BEGIN
			DELETE FROM contact_record_grams_fts WHERE rowid = old.doc; END`,
		"ALTER TABLE contact_records DROP COLUMN gram_doc",
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	runMigration(t, db, "20261211100004_gram_doc")

	require.Equal(t, before, docs(), "every record keeps its doc")
	var maps int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE name = 'contact_record_grams'").Scan(&maps))
	require.Zero(t, maps, "the doc map is gone")
	require.Equal(t, []uuid.UUID{quote}, find(tenant, "見積"))
	require.Equal(t, []uuid.UUID{otherQuote}, find(other, "見積"))
	require.Equal(t, []uuid.UUID{greeting}, find(tenant, "挨拶"))

	next := add(tenant, "見積の再提出。")
	largest := int64(0)
	for _, d := range before {
		largest = max(largest, d)
	}
	require.Equal(t, largest+1, docs()[next], "the next doc after the largest")
	require.ElementsMatch(t, []uuid.UUID{quote, next}, find(tenant, "見積"))

	// 挨拶 as its FTS5 token (the hexadecimal of its UTF-8 bytes).
	postings := func() int {
		t.Helper()
		var n int
		require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM contact_record_grams_fts WHERE contact_record_grams_fts MATCH ?",
			`"E68CA8E68BB6"`).Scan(&n))
		return n
	}
	require.Equal(t, 1, postings())
	for _, id := range []uuid.UUID{greeting, empty} {
		_, err := db.ExecContext(ctx, "DELETE FROM contact_records WHERE id = ?", id)
		require.NoError(t, err)
	}
	require.Zero(t, postings(), "the purge took the record's grams")
}
