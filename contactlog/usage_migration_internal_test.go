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
)

// TestUsageTenantCatalogMigration runs the migration that moves 利用・会計
// v1 records onto v2 (its lines field uses the tenant catalog): their
// values are untouched, other templates' records stay where they are.
func TestUsageTenantCatalogMigration(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		require.NoError(t, Migrate(ctx, db))
		at := time.Date(2026, 11, 1, 1, 0, 0, 0, time.UTC)
		lines := map[string]any{"items": map[string]any{"items": []any{map[string]any{"item": uuid.NewString(), "name": "醤油ラーメン",
			"quantity": 1.0, "unit_price": 700.0, "tax_rate": 10.0, "subtotal": 700.0}}, "subtotal": 700.0,
			"taxes": []any{map[string]any{"rate": 10.0, "base": 700.0, "tax": 70.0}}, "tax": 70.0, "total": 770.0}}
		write := func(key string, values map[string]any) uuid.UUID {
			r := &Record{Entry: Entry{Template: key, TemplateVersion: 1, ActualAt: at, Values: values,
				Scope: permission.Scope{Kind: permission.ScopeCompany}},
				ID: uuid.New(), Tenant: uuid.New(), Author: uuid.New(), CreatedAt: at, UpdatedAt: at, Version: 1}
			return insertRecordRow(t, db, r)
		}
		usage := write(template.KeyUsage, lines)
		other := write(template.KeyInterview, map[string]any{"place": "本社"})

		runMigration(t, db, "20261208000002_usage_tenant_catalog")

		for _, c := range []struct {
			id      uuid.UUID
			version int
			values  map[string]any
		}{{usage, 2, lines}, {other, 1, map[string]any{"place": "本社"}}} {
			var row recordRow
			require.NoError(t, db.NewSelect().Model(&row).ExcludeColumn("grams").Where("id = ?", c.id).Scan(ctx))
			require.Equal(t, c.version, row.TemplateVersion)
			require.Equal(t, c.values, row.Values)
		}
	})
}
