package contactlog_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/catalog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// storedLines reads a record's lines field "items" as stored.
func storedLines(t *testing.T, r *contactlog.Record) template.Lines {
	t.Helper()
	ls, ok := template.LinesOf(r.Values["items"])
	require.True(t, ok, "items: %v", r.Values["items"])
	return ls
}

func TestTenantCatalogLines(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		cat, err := catalog.NewService(db, nil)
		require.NoError(t, err)
		ramen, err := cat.SaveCategory(f.admin, catalog.Category{Name: "ラーメン", TaxRate: 10, UsesVariants: true})
		require.NoError(t, err)
		take, err := cat.SaveCategory(f.admin, catalog.Category{Name: "持ち帰り", TaxRate: 8})
		require.NoError(t, err)
		shoyu, err := cat.SaveItem(f.admin, catalog.Item{Category: ramen.ID, Name: "醤油ラーメン", Variant: "大盛", UnitPrice: 800})
		require.NoError(t, err)
		gyoza, err := cat.SaveItem(f.admin, catalog.Item{Category: take.ID, Name: "餃子", UnitPrice: 350})
		require.NoError(t, err)
		otherCat, err := cat.SaveCategory(f.other, catalog.Category{Name: "他社", TaxRate: 10})
		require.NoError(t, err)
		foreign, err := cat.SaveItem(f.other, catalog.Item{Category: otherCat.ID, Name: "他社の品", UnitPrice: 100})
		require.NoError(t, err)

		usage := func(lines ...any) contactlog.Entry {
			return contactlog.Entry{Template: template.KeyUsage, Customer: f.yamada.ID, Values: map[string]any{"items": lines}}
		}

		// An item and a quantity: the catalog fills the rest, as it is now.
		r, err := f.svc.Create(f.staff, usage(
			map[string]any{"item": shoyu.ID.String(), "quantity": 2},
			map[string]any{"item": gyoza.ID.String(), "quantity": "1", "name": "餃子(テイクアウト)"},
			map[string]any{"name": "割引", "quantity": 1, "unit_price": -100, "tax_rate": 10},
		))
		require.NoError(t, err)
		ls := storedLines(t, r)
		require.Equal(t, template.Line{Item: shoyu.ID.String(), Name: "醤油ラーメン(大盛)", Category: "ラーメン", Variant: "大盛",
			Quantity: 2, UnitPrice: 800, TaxRate: 10, Subtotal: 1600}, ls.Items[0])
		require.Equal(t, template.Line{Item: gyoza.ID.String(), Name: "餃子(テイクアウト)", Category: "持ち帰り",
			Quantity: 1, UnitPrice: 350, TaxRate: 8, Subtotal: 350}, ls.Items[1], "a typed name is kept (cleaned as every text)")
		require.Equal(t, template.Line{Name: "割引", Quantity: 1, UnitPrice: -100, TaxRate: 10, Subtotal: -100},
			ls.Items[2], "a line without an item is a free line")
		require.Equal(t, int64(1850), ls.Subtotal)
		require.Equal(t, int64(150+28), ls.Tax)

		// Unknown items, other tenants' items and archived ones are refused
		// at the line's item, and nothing else is lost.
		_, err = f.svc.Create(f.staff, usage(
			map[string]any{"item": shoyu.ID.String(), "quantity": 1},
			map[string]any{"item": uuid.NewString(), "quantity": 1},
			map[string]any{"item": foreign.ID.String(), "quantity": 1},
			map[string]any{"item": "SKU-1", "name": "割引", "quantity": 1, "unit_price": -100, "tax_rate": 10},
			map[string]any{"item": "{" + gyoza.ID.String() + "}", "quantity": 1},
		))
		requireField(t, err, "fields.items[1].item", validation.CodeUnknown)
		requireField(t, err, "fields.items[2].item", validation.CodeUnknown)
		requireField(t, err, "fields.items[3].item", validation.CodeUnknown)
		var ve *contactlog.ValidationError
		require.ErrorAs(t, err, &ve)
		require.Len(t, ve.Fields, 3, "%v", ve.Fields)

		// An ID in another spelling names the same item, stored as the
		// catalog spells it.
		upper, err := f.svc.Create(f.staff, usage(map[string]any{"item": strings.ToUpper(gyoza.ID.String()), "quantity": 1}))
		require.NoError(t, err)
		require.Equal(t, gyoza.ID.String(), storedLines(t, upper).Items[0].Item)

		// Prices change, items are renamed and archived: the record keeps
		// what it was written with, and stays editable with its lines.
		shoyu.UnitPrice, shoyu.Name, shoyu.Archived = 900, "特製醤油ラーメン", true
		_, err = cat.SaveItem(f.admin, shoyu)
		require.NoError(t, err)
		ramen.Name = "らーめん"
		_, err = cat.SaveCategory(f.admin, ramen)
		require.NoError(t, err)
		got, err := f.svc.Get(f.staff, r.ID)
		require.NoError(t, err)
		require.Equal(t, ls, storedLines(t, got))

		_, err = f.svc.Create(f.staff, usage(map[string]any{"item": shoyu.ID.String(), "quantity": 1}))
		requireField(t, err, "fields.items[0].item", validation.CodeNotAllowed)

		// An update that sends the record's lines back as item and
		// quantity only keeps their stored price, rate and names; an item
		// the record did not have comes from today's catalog.
		e := got.Entry
		e.Values = map[string]any{"items": []any{
			map[string]any{"item": shoyu.ID.String(), "quantity": 3},
			map[string]any{"item": gyoza.ID.String(), "quantity": 1},
		}}
		gyoza.UnitPrice = 400
		_, err = cat.SaveItem(f.admin, gyoza)
		require.NoError(t, err)
		up, err := f.svc.Update(f.staff, r.ID, got.Version, e)
		require.NoError(t, err)
		uls := storedLines(t, up)
		require.Equal(t, template.Line{Item: shoyu.ID.String(), Name: "醤油ラーメン(大盛)", Category: "ラーメン", Variant: "大盛",
			Quantity: 3, UnitPrice: 800, TaxRate: 10, Subtotal: 2400}, uls.Items[0])
		require.Equal(t, "餃子(テイクアウト)", uls.Items[1].Name)
		require.Equal(t, int64(350), uls.Items[1].UnitPrice, "the record's own line, not today's price")

		// Stored values validate again to themselves.
		again, err := f.svc.Update(f.staff, r.ID, up.Version, up.Entry)
		require.NoError(t, err)
		require.Equal(t, uls, storedLines(t, again))

		// A new record takes today's price.
		r2, err := f.svc.Create(f.staff, usage(map[string]any{"item": gyoza.ID.String(), "quantity": 1}))
		require.NoError(t, err)
		require.Equal(t, int64(400), storedLines(t, r2).Items[0].UnitPrice)

		// The other tenant's writer cannot name this tenant's items.
		otherCust, err := f.customer.Create(f.other, customer.Profile{FamilyName: "他社", GivenName: "顧客", FamilyKana: "タシャ", GivenKana: "コキャク"})
		require.NoError(t, err)
		_, err = f.svc.Create(f.other, contactlog.Entry{Template: template.KeyUsage, Customer: otherCust.ID,
			Values: map[string]any{"items": []any{map[string]any{"item": gyoza.ID.String(), "quantity": 1}}}})
		requireField(t, err, "fields.items[0].item", validation.CodeUnknown)
	})
}

// TestPlainLinesKeepCodes: in a lines field that does not use the tenant
// catalog, an item is a product code kept as typed, even one that is a
// UUID — even the ID of one of the tenant's catalog items: it is never
// looked up, so the line needs its own name, price and rate.
func TestPlainLinesKeepCodes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		cat, err := catalog.NewService(db, nil)
		require.NoError(t, err)
		c, err := cat.SaveCategory(f.admin, catalog.Category{Name: "部品", TaxRate: 10})
		require.NoError(t, err)
		item, err := cat.SaveItem(f.admin, catalog.Item{Category: c.ID, Name: "ボルト", UnitPrice: 30})
		require.NoError(t, err)
		store, err := template.NewStore(db, &template.Config{Clock: f.clock.Now})
		require.NoError(t, err)
		tpl, err := store.Save(f.admin, template.Template{Key: "tenant:repair", Name: "修理", Fields: []template.Field{
			{Key: "parts", Label: "部品", Type: template.FieldLines},
		}})
		require.NoError(t, err)
		repair := func(lines ...any) contactlog.Entry {
			return contactlog.Entry{Template: tpl.Key, Customer: f.yamada.ID, Values: map[string]any{"parts": lines}}
		}

		code := uuid.NewString()
		r, err := f.svc.Create(f.staff, repair(
			map[string]any{"item": code, "name": "型番付き部品", "quantity": 2, "unit_price": 500, "tax_rate": 10},
			map[string]any{"item": strings.ToUpper(item.ID.String()), "name": "他社ボルト", "quantity": 1, "unit_price": 45, "tax_rate": 10},
		))
		require.NoError(t, err)
		ls, ok := template.LinesOf(r.Values["parts"])
		require.True(t, ok)
		require.Equal(t, template.Line{Item: code, Name: "型番付き部品", Quantity: 2, UnitPrice: 500, TaxRate: 10, Subtotal: 1000}, ls.Items[0])
		require.Equal(t, template.Line{Item: strings.ToUpper(item.ID.String()), Name: "他社ボルト", Quantity: 1, UnitPrice: 45, TaxRate: 10,
			Subtotal: 45}, ls.Items[1], "kept as typed, not the catalog's")

		// Nothing is filled from the catalog: the line must say it all.
		_, err = f.svc.Create(f.staff, repair(map[string]any{"item": item.ID.String(), "quantity": 1}))
		requireField(t, err, "fields.parts[0].name", validation.CodeRequired)
		requireField(t, err, "fields.parts[0].unit_price", validation.CodeRequired)
		requireField(t, err, "fields.parts[0].tax_rate", validation.CodeRequired)
	})
}
