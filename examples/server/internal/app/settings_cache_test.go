package app_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestSettingsAcrossInstances runs two server instances on one database
// (each its own engines and caches): the record masters, customer ranks
// and tenant templates the top page offers, changed through one, are what
// the other's next request shows, not what it cached.
func TestSettingsAcrossInstances(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		one := servertest.New(t, db)
		two := servertest.New(t, dbtest.Reopen(t, db))
		c := two.Login(t, servertest.AdminEmail)
		page := func() string {
			t.Helper()
			res, body := c.Get(t, "/")
			require.Equal(t, http.StatusOK, res.StatusCode)
			return body
		}
		body := page()
		require.Contains(t, body, "提案中")
		require.NotContains(t, body, "提案を検討中")
		require.NotContains(t, body, "重要顧客")
		require.Contains(t, page(), "提案中", "the cached masters are served")

		ctx := one.Ctx(t, one.Admin)
		items, err := one.App.Records.Masters().List(ctx, contactlog.MasterProgress)
		require.NoError(t, err)
		for i := range items {
			if items[i].Code == "proposing" {
				items[i].Label = "提案を検討中"
			}
		}
		require.NoError(t, one.App.Records.Masters().Set(ctx, contactlog.MasterProgress, items))
		body = page()
		require.Contains(t, body, "提案を検討中")
		require.NotContains(t, body, ">提案中<")

		require.NoError(t, one.App.Customers.SetRanks(ctx, []customer.Rank{{Code: "S", Label: "重要顧客"}, {Code: "A"}}))
		require.Contains(t, page(), "重要顧客")

		require.NotContains(t, page(), "店舗巡回")
		visit, err := one.App.TemplateStore.Save(ctx, template.Template{Key: "tenant:round", Name: "店舗巡回",
			Fields: []template.Field{{Key: "note", Label: "所見", Type: template.FieldText}}})
		require.NoError(t, err)
		require.Contains(t, page(), ">店舗巡回</option>")
		visit.Name = "店舗巡回（新）"
		_, err = one.App.TemplateStore.Save(ctx, *visit)
		require.NoError(t, err)
		require.Contains(t, page(), ">店舗巡回（新）</option>")
		require.NoError(t, one.App.TemplateStore.Archive(ctx, "tenant:round"))
		require.NotContains(t, page(), "店舗巡回")

		// The other instance's engines, called without a request's memo,
		// read the version themselves and see the change too.
		ts, err := two.App.Customers.TenantSettings(two.Ctx(t, two.Admin))
		require.NoError(t, err)
		require.False(t, ts.KanaOptional)
		require.NoError(t, one.App.Customers.SetTenantSettings(ctx, customer.TenantSettings{KanaOptional: true}))
		ts, err = two.App.Customers.TenantSettings(two.Ctx(t, two.Admin))
		require.NoError(t, err)
		require.True(t, ts.KanaOptional)
	})
}
