package browsertest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/contactlog/catalog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/examples/server/internal/servertest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// 会計登録 on a phone from the customer's 利用歴 tab: category → item
// without a script, the taxes per rate shown, saved; the tab shows the
// total; then the same pages on a desktop.
func TestUsageOnAPhone(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, dbtest.SQLite(t))
	ctx := e.Ctx(t, e.Admin)
	food, err := e.App.Catalog.SaveCategory(ctx, catalog.Category{Name: "食品", TaxRate: 8})
	require.NoError(t, err)
	bread, err := e.App.Catalog.SaveItem(ctx, catalog.Item{Category: food.ID, Name: "食パン", UnitPrice: 333})
	require.NoError(t, err)
	c, err := e.App.Customers.Create(ctx, customer.Profile{FamilyName: "山田", GivenName: "太郎", FamilyKana: "ヤマダ", GivenKana: "タロウ"})
	require.NoError(t, err)
	usage := "/customers/" + c.ID.String() + "/usage"

	b := newBrowser(t, e.Server.URL)
	b.login(servertest.AdminEmail, servertest.Password, usage)
	b.follow("会計登録", "#add-usage")
	b.require(strings.Contains(b.location(), "template=builtin"), "the 利用・会計 form: %s", b.location())
	b.fill("ln.items.cat.0", food.ID.String())
	b.submit("show the items", ".lines button[value=refresh]", 200)
	b.fill("ln.items.item.0", bread.ID.String(), "ln.items.qty.0", "3")
	b.submit("fill the line", ".lines button[value=refresh]", 200)
	b.require(b.text(".line-totals") != "" && strings.Contains(b.text(".line-totals"), "1,078円"), "totals: %q", b.text(".line-totals"))
	b.fitsWidth("/records/new lines")
	b.shot("usage lines on a phone")
	b.submit("save", "#save", 200)
	b.open(usage)
	b.require(b.text("#usage-total") == "1,078円", "利用総額: %q", b.text("#usage-total"))
	b.fitsWidth(usage)
	b.shot("usage tab on a phone")

	b.step("desktop", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800))
	})
	b.shot("usage tab on a desktop")
	b.open("/records/new?customer=" + c.ID.String() + "&template=" + template.KeyUsage)
	b.fill("ln.items.cat.0", food.ID.String())
	b.submit("show the items (desktop)", ".lines button[value=refresh]", 200)
	b.fill("ln.items.item.0", bread.ID.String())
	b.submit("fill the line (desktop)", ".lines button[value=refresh]", 200)
	b.shot("usage lines on a desktop")
}
