package web_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog/catalog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestRecordFormCatalogLines: a 利用・会計 record written in the browser
// without a script — category → item, price and rate filled from the
// catalog, the engine's taxes per rate shown, rows added and removed,
// everything kept on error and a later price change leaving the record
// alone.
func TestRecordFormCatalogLines(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		re := newRecordEnv(t, db)
		admin := re.Ctx(t, re.Admin)
		food, err := re.App.Catalog.SaveCategory(admin, catalog.Category{Name: "食品", TaxRate: 8})
		require.NoError(t, err)
		goods, err := re.App.Catalog.SaveCategory(admin, catalog.Category{Name: "雑貨", TaxRate: 10})
		require.NoError(t, err)
		bread, err := re.App.Catalog.SaveItem(admin, catalog.Item{Category: food.ID, Name: "食パン", UnitPrice: 333})
		require.NoError(t, err)
		cup, err := re.App.Catalog.SaveItem(admin, catalog.Item{Category: goods.ID, Name: "マグカップ", UnitPrice: 1205})
		require.NoError(t, err)

		// The template is offered; choosing a category offers its items.
		_, body := re.c.Get(t, "/records/new")
		require.Contains(t, body, `<option value="`+template.KeyUsage+`"`)
		form := url.Values{"template": {template.KeyUsage}, "customer_id": {re.yamada.String()}, "public_memo": {"来店"},
			"ln.items.rows": {"1"}, "ln.items.cat.0": {food.ID.String()}, "op": {"refresh"}}
		_, body = postMultipart(t, re.c, "/records", form)
		require.Contains(t, body, `<option value="`+bread.ID.String()+`" >食パン 333円</option>`)
		require.NotContains(t, body, cup.ID.String())

		// Choosing the item fills name, price and rate; a second row.
		form.Set("ln.items.item.0", bread.ID.String())
		form.Set("ln.items.qty.0", "3")
		form.Set("op", "add_line:items")
		_, body = postMultipart(t, re.c, "/records", form)
		require.True(t, servertest.Contains(body, `name="ln.items.name.0" value="食パン"`, `name="ln.items.price.0" value="333"`,
			`name="ln.items.rate.0" value="8"`, `name="ln.items.rows" value="2"`, "小計 999円"))
		form = rowsOf(body, form)
		form.Set("ln.items.cat.1", goods.ID.String())
		form.Set("ln.items.item.1", cup.ID.String())
		form.Set("ln.items.qty.1", "二")
		form.Set("op", "save")
		// A bad quantity comes back named, every row kept, nothing saved.
		res, body := postMultipart(t, re.c, "/records", form)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		require.True(t, servertest.Contains(body, "数量：", `name="ln.items.qty.1" value="二"`, `value="マグカップ"`,
			`name="ln.items.qty.0" value="3"`, "来店"))
		require.Empty(t, re.records(t))

		// Fixed, shown with per-rate tax (8% of 999 floored: 79; 10% of
		// 2410: 241), and saved.
		form = rowsOf(body, form)
		form.Set("ln.items.qty.1", "2")
		form.Set("op", "refresh")
		_, body = postMultipart(t, re.c, "/records", form)
		require.True(t, servertest.Contains(body, "消費税（8%）</th><td>79円", "消費税（10%）</th><td>241円", "合計（税込）</th><td>3,729円"))
		form.Set("op", "save")
		res, _ = postMultipart(t, re.c, "/records", form)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		recs := re.records(t)
		require.Len(t, recs, 1)
		raw, err := json.Marshal(recs[0].Values["items"])
		require.NoError(t, err)
		var ls template.Lines
		require.NoError(t, json.Unmarshal(raw, &ls))
		require.Equal(t, int64(3729), ls.Total)
		require.Equal(t, bread.ID.String(), ls.Items[0].Item)

		// The customer's 利用歴: 利用総額, the items bought, each linking
		// the customers who bought it; 会計登録 opens this form.
		_, body = re.c.Get(t, "/customers/"+re.yamada.String())
		require.Contains(t, body, `href="/customers/`+re.yamada.String()+`/usage" id="usage-tab"`)
		_, body = re.c.Get(t, "/customers/"+re.yamada.String()+"/usage")
		require.True(t, servertest.Contains(body, `<dd id="usage-total">3,729円</dd>`, "1回", "マグカップ", "食パン",
			`href="/sales/buyers?item=`+bread.ID.String()+`"`, `href="/records/new?customer=`+re.yamada.String()+`&amp;template=builtin%3Ausage"`))
		_, body = re.c.Get(t, "/records/new?customer="+re.yamada.String()+"&template="+template.KeyUsage)
		require.True(t, servertest.Contains(body, `<option value="builtin:usage" selected>`, `name="ln.items.cat.0"`))
		_, body = re.c.Get(t, "/sales/buyers?item="+bread.ID.String())
		require.True(t, servertest.Contains(body, "食パン", `<a href="/customers/`+re.yamada.String()+`/usage">山田 太郎</a>`, "999円"))
		_, body = re.c.Get(t, "/customers/"+re.sato.String()+"/usage")
		require.Contains(t, body, "利用・会計の記録はまだありません。")

		// A later price change leaves the record and its edit form alone;
		// removing a row there keeps the other.
		bread.UnitPrice = 400
		_, err = re.App.Catalog.SaveItem(admin, bread)
		require.NoError(t, err)
		_, body = re.c.Get(t, "/records/"+recs[0].ID.String()+"/edit")
		require.True(t, servertest.Contains(body, `name="ln.items.price.0" value="333"`, `name="ln.items.qty.1" value="2"`,
			`<option value="`+food.ID.String()+`" selected>食品</option>`, "合計（税込）</th><td>3,729円"))
		edit := rowsOf(body, url.Values{"version": {"1"}, "customer_id": {re.yamada.String()}, "op": {"remove_line:items:0"}})
		_, body = postMultipart(t, re.c, "/records/"+recs[0].ID.String()+"/edit", edit)
		require.True(t, servertest.Contains(body, `name="ln.items.name.0" value="マグカップ"`, `name="ln.items.rows" value="1"`))
	})
}

var (
	lineInputRe  = regexp.MustCompile(`<input type="(?:text|hidden)"[^>]* name="(ln\.[^"]+)" value="([^"]*)"`)
	lineSelectRe = regexp.MustCompile(`(?s)<select name="(ln\.[^"]+)"[^>]*>(.*?)</select>`)
	selectedRe   = regexp.MustCompile(`<option value="([^"]*)" selected>`)
)

// rowsOf sets form's line rows to what body shows (inputs and selected
// options), as a browser would post them back.
func rowsOf(body string, form url.Values) url.Values {
	for _, m := range lineInputRe.FindAllStringSubmatch(body, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	for _, m := range lineSelectRe.FindAllStringSubmatch(body, -1) {
		form.Del(m[1])
		if s := selectedRe.FindStringSubmatch(m[2]); s != nil {
			form.Set(m[1], s[1])
		}
	}
	return form
}
