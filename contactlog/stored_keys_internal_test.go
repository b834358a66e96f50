package contactlog

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/textnorm"
)

// TestStoredKeysMigration writes records with both search keys stored in
// full, as before the migration that stores a key only where it differs
// from its text, runs it, and checks that each row then holds what the
// write path stores now and that the readers' expressions (searchKeyExpr,
// privateKeyExpr) give back every key.
func TestStoredKeysMigration(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		require.NoError(t, Migrate(ctx, db))
		tenant := uuid.New()
		at := time.Date(2026, 11, 1, 1, 0, 0, 0, time.UTC)
		cases := []struct {
			name                  string
			public, summary, priv string
			values                map[string]any
			// storedPublic and storedPrivate are the key columns after
			// the migration; readPublic and readPrivate what the
			// expressions read.
			storedPublic, storedPrivate string
			readPublic, readPrivate     string
		}{
			{name: "keys equal to their texts", public: "見積書をお送りした。", summary: "次回訪問", priv: "決裁は来月。",
				readPublic: "見積書をお送りした。 次回訪問", readPrivate: "決裁は来月。"},
			{name: "memo alone", public: "見積書をお送りした。",
				readPublic: "見積書をお送りした。"},
			{name: "summary alone", summary: "不在",
				readPublic: "不在"},
			{name: "katakana and full-width digits folded", public: "フォローの電話", summary: "１回目", priv: "ベッド",
				storedPublic: "ふぉろーの電話 1回目", storedPrivate: "べっど",
				readPublic: "ふぉろーの電話 1回目", readPrivate: "べっど"},
			{name: "template text after the memo", public: "挨拶に伺った。", values: map[string]any{"work_done": "挨拶"},
				storedPublic: "挨拶に伺った。 挨拶", readPublic: "挨拶に伺った。 挨拶"},
			{name: "texts without a key", public: "\u3000", priv: "\u3000",
				storedPublic: " ", storedPrivate: " ", readPublic: " ", readPrivate: " "},
			{name: "no text"},
		}
		ids := make([]uuid.UUID, len(cases))
		for i, c := range cases {
			r := &Record{Entry: Entry{Template: template.KeyInterview, TemplateVersion: 1, PublicMemo: c.public,
				SummaryText: c.summary, PrivateMemo: c.priv, ActualAt: at, Values: c.values,
				Scope: permission.Scope{Kind: permission.ScopeCompany}},
				ID: uuid.New(), Tenant: tenant, Author: uuid.New(), CreatedAt: at, UpdatedAt: at, Version: 1}
			ids[i] = insertRecordRow(t, db, r)
			// The keys in full, as every row held them before.
			_, err := db.NewUpdate().TableExpr("contact_records").Set("search_text = ?", searchText(r)).
				Set("private_search_text = ?", textnorm.Key(r.PrivateMemo)).Where("id = ?", r.ID).Exec(ctx)
			require.NoError(t, err)
		}

		runMigration(t, db, "20261209100003_stored_keys")

		for i, c := range cases {
			var row recordRow
			require.NoError(t, db.NewSelect().Model(&row).ExcludeColumn("grams").Where("id = ?", ids[i]).Scan(ctx))
			r := row.record()
			want := toRow(&r)
			require.Equal(t, c.storedPublic, row.SearchText, c.name)
			require.Equal(t, c.storedPrivate, row.PrivateSearchText, c.name)
			require.Equal(t, want.SearchText, row.SearchText, "%s: the write path stores the same", c.name)
			require.Equal(t, want.PrivateSearchText, row.PrivateSearchText, "%s: the write path stores the same", c.name)
			var public, private string
			require.NoError(t, db.NewSelect().TableExpr("contact_records AS r").ColumnExpr(searchKeyExpr).
				ColumnExpr(privateKeyExpr).Where("r.id = ?", ids[i]).Scan(ctx, &public, &private))
			require.Equal(t, c.readPublic, public, c.name)
			require.Equal(t, c.readPrivate, private, c.name)
		}
	})
}

// TestASCIIGramsIndexExpression checks on PostgreSQL that the query's
// asciiGramsExpr is the expression of the contact_records_ascii_grams
// index, which the migrations spell out apart: with sequential scans off
// the planner takes the index only if it matches.
func TestASCIIGramsIndexExpression(t *testing.T) {
	t.Parallel()
	db := dbtest.Postgres(t)
	ctx := context.Background()
	require.NoError(t, Migrate(ctx, db))
	var plan []string
	require.NoError(t, db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
			return err
		}
		return tx.NewRaw("EXPLAIN SELECT r.id FROM contact_records AS r WHERE "+asciiGramsExpr+" @> '{090}'::text[]").Scan(ctx, &plan)
	}))
	require.Contains(t, strings.Join(plan, "\n"), "contact_records_ascii_grams")
}
