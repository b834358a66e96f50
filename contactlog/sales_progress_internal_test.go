package contactlog

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// TestSalesProgressMigration runs the migration that moves 商談 v1 records
// onto v2 (one 進捗) over records written before it: the v1 choice becomes
// the record's 進捗 where it maps to a progress item and the record has
// none, and is kept as words otherwise; other templates are untouched.
func TestSalesProgressMigration(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		require.NoError(t, Migrate(ctx, db))
		defaults, own := uuid.New(), uuid.New() // own: a tenant with its own progress master
		_, err := db.NewInsert().Model(&[]masterRow{
			{Tenant: own, Kind: MasterProgress, Code: "hearing", Label: "ヒアリング"},
			{Tenant: own, Kind: MasterProgress, Code: "deal", Label: "提案"},
		}).Exec(ctx)
		require.NoError(t, err)
		at := time.Date(2026, 11, 1, 1, 0, 0, 0, time.UTC)
		write := func(tenant uuid.UUID, key string, stage, progress, text string) uuid.UUID {
			r := &Record{Entry: Entry{Template: key, TemplateVersion: 1, Progress: progress, SummaryText: text,
				ActualAt: at, Values: map[string]any{"probability": "A"}, Scope: permission.Scope{Kind: permission.ScopeCompany}},
				ID: uuid.New(), Tenant: tenant, Author: uuid.New(), CreatedAt: at, UpdatedAt: at, Version: 1}
			if stage != "" {
				r.Values["stage"] = stage
			}
			return insertRecordRow(t, db, r)
		}
		mapped := write(defaults, template.KeySales, "提案", "", "")
		unmapped := write(defaults, template.KeySales, "ヒアリング", "", "")
		disagreeing := write(defaults, template.KeySales, "受注", "lost", "価格で負けた")
		none := write(defaults, template.KeySales, "", "quoted", "")
		ownMapped := write(own, template.KeySales, "ヒアリング", "", "")
		ownUnmapped := write(own, template.KeySales, "初回接触", "", "")
		other := write(defaults, template.KeyInterview, "", "", "")

		runMigration(t, db, "20261206100002_sales_progress")

		for _, c := range []struct {
			id                 uuid.UUID
			version            int
			progress, text     string
			stage, probability any
		}{
			{mapped, 2, "proposing", "", nil, "A"},
			{unmapped, 2, "", "商談の進捗（旧項目）: ヒアリング", nil, "A"},
			{disagreeing, 2, "lost", "価格で負けた\n商談の進捗（旧項目）: 受注", nil, "A"},
			{none, 2, "quoted", "", nil, "A"},
			{ownMapped, 2, "hearing", "", nil, "A"},
			{ownUnmapped, 2, "", "商談の進捗（旧項目）: 初回接触", nil, "A"},
			{other, 1, "", "", nil, "A"},
		} {
			var row recordRow
			require.NoError(t, db.NewSelect().Model(&row).ExcludeColumn("grams").Where("id = ?", c.id).Scan(ctx))
			require.Equal(t, c.version, row.TemplateVersion, c.id)
			require.Equal(t, c.progress, row.Progress)
			require.Equal(t, c.text, row.SummaryText)
			require.Equal(t, map[string]any{"probability": c.probability}, row.Values, "stage and the parked code are gone")
		}
	})
}

// insertRecordRow writes r as it is, bypassing the engine (as a row written
// before a migration), and returns its ID.
func insertRecordRow(t *testing.T, db *bun.DB, r *Record) uuid.UUID {
	t.Helper()
	d, err := storage.Of(db)
	require.NoError(t, err)
	row := toRow(r)
	q := db.NewInsert().Model(&row)
	if !gramIndex.Writes(d) {
		q = q.ExcludeColumn("grams")
	}
	_, err = q.Exec(t.Context())
	require.NoError(t, err)
	return r.ID
}

// runMigration runs contactlog's migration name (its ID and name, without
// the suffix) again on db's dialect (dbtest.RunMigration).
func runMigration(t *testing.T, db *bun.DB, name string) {
	t.Helper()
	dbtest.RunMigration(t, db, migrations, name)
}
