package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestCatalogSalesAndExpensePages: an admin builds the catalog on its page
// and by CSV (a bad row is named and nothing is imported); a purchase from
// it shows in 売上データ分析 and 会計一覧, expenses in 交通費計算.
func TestCatalogSalesAndExpensePages(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		e := servertest.New(t, db)
		admin := e.Login(t, servertest.AdminEmail)
		res, body := admin.Post(t, "/admin/catalog", url.Values{"name": {"ラーメン"}, "tax_rate": {"10"}, "uses_variants": {"1"}, "position": {"0"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode, body)
		res, body = admin.Post(t, "/admin/catalog", url.Values{"name": {"ラーメン"}, "tax_rate": {"10"}, "position": {"x"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, `name="name" value="ラーメン"`, "what the admin typed stays")
		cats, err := e.App.Catalog.Categories(e.Ctx(t, e.Admin))
		require.NoError(t, err)
		require.Len(t, cats, 1)
		ramen := cats[0].ID.String()

		res, body = admin.Post(t, "/admin/catalog/"+ramen, url.Values{"name": {"醤油ラーメン"}, "variant": {""}, "unit_price": {"700"}, "position": {"0"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, "a category with variants needs one")
		require.Contains(t, body, `value="醤油ラーメン"`)
		res, body = admin.Post(t, "/admin/catalog/"+ramen, url.Values{"name": {"醤油ラーメン"}, "variant": {"普通"}, "unit_price": {"700"}, "position": {"0"}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode, body)
		res, body = admin.Get(t, "/admin/catalog/"+ramen)
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, body, `name="unit_price" value="700"`)

		res, body = upload(t, admin, "/admin/catalog/import", nil, "file", "menu.csv",
			sjis(t, "カテゴリー,税率,商品・サービス名,価格(税抜)\r\n餃子,8%,餃子,350\r\n餃子,8%,焼売,abc\r\n"))
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, "3行目「価格(税抜)」")
		res, body = upload(t, admin, "/admin/catalog/import", nil, "file", "menu.csv",
			sjis(t, "カテゴリー,税率,商品・サービス名,価格(税抜)\r\n餃子,8%,餃子,350\r\n"))
		require.Equal(t, http.StatusOK, res.StatusCode, body)
		require.Contains(t, body, "商品・サービス 追加1件")
		res, body = admin.Get(t, "/admin/catalog/export?encoding=shift_jis")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Contains(t, unsjis(t, body), "餃子,8%,,0,,餃子,350,0,")

		// A purchase: 醤油ラーメン ×2 (700, 10%) and 餃子 ×1 (350, 8%):
		// 1400 + 140 + 350 + 28 = 1918円; and expenses on a record.
		ctx := e.Ctx(t, e.Admin)
		c, err := e.App.Customers.Create(ctx, customer.Profile{FamilyName: "北", GivenName: "太郎", FamilyKana: "キタ", GivenKana: "タロウ"})
		require.NoError(t, err)
		items, err := e.App.Catalog.Items(ctx, uuid.Nil, false)
		require.NoError(t, err)
		var lines []template.Line
		for _, it := range items {
			q := 1.0
			if it.Name == "醤油ラーメン" {
				q = 2
			}
			l, err := e.App.Catalog.Line(ctx, it.ID, q)
			require.NoError(t, err)
			lines = append(lines, l)
		}
		tokyo, err := time.LoadLocation("Asia/Tokyo")
		require.NoError(t, err)
		at := e.App.Clock().Add(-time.Hour).In(tokyo)
		_, err = e.App.Records.Create(ctx, contactlog.Entry{Template: template.KeyUsage, Customer: c.ID, ActualAt: at,
			Values:   map[string]any{"items": lines},
			Expenses: []contactlog.Expense{{Kind: contactlog.ExpenseLodging, Route: "大阪 ホテル", Amount: 9800}, {Route: "新大阪→客先", Amount: 240}}})
		require.NoError(t, err)

		res, body = admin.Get(t, "/sales?unit=day&from="+at.Format(time.DateOnly)+"&to="+at.Format(time.DateOnly))
		require.Equal(t, http.StatusOK, res.StatusCode, body)
		require.True(t, servertest.Contains(body, "1,918円", "醤油ラーメン（普通）", "ラーメン", `alt="売上（税抜・消費税）"`), body)
		res, body = admin.Get(t, "/sales?unit=week")
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, `<span class="field-error">`, "the unit is named")
		res, body = admin.Get(t, "/sales/accounts?from="+at.Format(time.DateOnly)+"&to="+at.Format(time.DateOnly))
		require.Equal(t, http.StatusOK, res.StatusCode, body)
		require.True(t, servertest.Contains(body, "北 太郎", "1,918円"))
		res, body = admin.Get(t, "/sales/accounts?from=2026-13-01")
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.Contains(t, body, `name="from" value="2026-13-01"`)

		res, body = admin.Get(t, "/expenses?from="+at.Format(time.DateOnly)+"&to="+at.Format(time.DateOnly))
		require.Equal(t, http.StatusOK, res.StatusCode, body)
		require.True(t, servertest.Contains(body, "宿泊費", "9,800円", "240円", "10,040円"))
		res, body = admin.Get(t, "/expenses/export?encoding=shift_jis&from="+at.Format(time.DateOnly)+"&to="+at.Format(time.DateOnly))
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.True(t, strings.HasPrefix(unsjis(t, body), "社員,件数,旅費(円),交通費(円),日当(円),宿泊費(円),合計(円)\r\n"))
		require.Contains(t, unsjis(t, body), ",2,0,240,0,9800,10040\r\n")
	})
}
