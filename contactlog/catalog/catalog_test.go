package catalog_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"golang.org/x/text/encoding/japanese"

	"github.com/kirokuhq/kiroku/contactlog/catalog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

type fixture struct {
	svc                 *catalog.Service
	admin, staff, other context.Context
	portal              context.Context
}

func setup(t *testing.T, db *bun.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, catalog.Migrate(ctx, db))
	require.NoError(t, catalog.Migrate(ctx, db)) // idempotent
	svc, err := catalog.NewService(db, &catalog.Config{Clock: func() time.Time { return time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC) }})
	require.NoError(t, err)
	tenant := uuid.New()
	as := func(tenant uuid.UUID, role permission.Role) context.Context {
		return permission.WithPrincipal(ctx, permission.Principal{Tenant: tenant, User: uuid.New(), Roles: []permission.Role{role}})
	}
	return &fixture{svc: svc, admin: as(tenant, permission.RoleAdmin), staff: as(tenant, permission.RoleStaff),
		other:  as(uuid.New(), permission.RoleAdmin),
		portal: permission.WithPrincipal(ctx, permission.Principal{Tenant: tenant, User: uuid.New(), Kind: permission.Customer})}
}

func fields(t *testing.T, err error) map[string]string {
	t.Helper()
	var ve *validation.Error
	require.ErrorAs(t, err, &ve)
	out := map[string]string{}
	for _, f := range ve.Fields {
		out[f.Field] = f.Code
	}
	return out
}

func TestCategoriesAndItems(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ramen, err := f.svc.SaveCategory(f.admin, catalog.Category{Name: " ラーメン ", TaxRate: 10, UsesVariants: true})
		require.NoError(t, err)
		require.Equal(t, "ラーメン", ramen.Name)
		gyoza, err := f.svc.SaveCategory(f.admin, catalog.Category{Name: "餃子", TaxRate: 8, Position: -1})
		require.NoError(t, err)

		// Field problems, all at once.
		_, err = f.svc.SaveCategory(f.admin, catalog.Category{Name: "", TaxRate: 5, Position: 10000})
		require.Equal(t, map[string]string{"name": "required", "tax_rate": "unknown", "position": "out_of_range"}, fields(t, err))
		_, err = f.svc.SaveCategory(f.admin, catalog.Category{Name: "餃子", TaxRate: 10})
		require.Equal(t, map[string]string{"name": "duplicate"}, fields(t, err))
		_, err = f.svc.SaveCategory(f.staff, catalog.Category{Name: "丼", TaxRate: 10})
		require.ErrorIs(t, err, catalog.ErrPermissionDenied)

		shoyu, err := f.svc.SaveItem(f.admin, catalog.Item{Category: ramen.ID, Name: "醤油ラーメン", Variant: "普通", UnitPrice: 700})
		require.NoError(t, err)
		_, err = f.svc.SaveItem(f.admin, catalog.Item{Category: ramen.ID, Name: "醤油ラーメン", Variant: "大盛", UnitPrice: 800, Position: 1})
		require.NoError(t, err)
		_, err = f.svc.SaveItem(f.admin, catalog.Item{Category: ramen.ID, Name: "塩ラーメン", UnitPrice: 700})
		require.Equal(t, map[string]string{"variant": "required"}, fields(t, err))
		_, err = f.svc.SaveItem(f.admin, catalog.Item{Category: gyoza.ID, Name: "餃子", Variant: "6個", UnitPrice: 350})
		require.Equal(t, map[string]string{"variant": "not_allowed"}, fields(t, err))
		_, err = f.svc.SaveItem(f.admin, catalog.Item{Category: ramen.ID, Name: "醤油ラーメン", Variant: "普通", UnitPrice: 1})
		require.Equal(t, map[string]string{"name": "duplicate"}, fields(t, err))
		_, err = f.svc.SaveItem(f.admin, catalog.Item{Category: uuid.New(), Name: "x", UnitPrice: 2_000_000_000})
		require.Equal(t, map[string]string{"category": "unknown", "unit_price": "out_of_range"}, fields(t, err))
		g, err := f.svc.SaveItem(f.admin, catalog.Item{Category: gyoza.ID, Name: "餃子", UnitPrice: 350})
		require.NoError(t, err)

		// Order: categories by position (餃子 -1 first), items by position.
		cats, err := f.svc.Categories(f.staff)
		require.NoError(t, err)
		require.Len(t, cats, 2)
		require.Equal(t, []string{"餃子", "ラーメン"}, []string{cats[0].Name, cats[1].Name})
		require.Equal(t, []int{1, 2}, []int{cats[0].Items, cats[1].Items})
		items, err := f.svc.Items(f.staff, uuid.Nil, false)
		require.NoError(t, err)
		var names []string
		for _, it := range items {
			names = append(names, it.DisplayName())
		}
		require.Equal(t, []string{"餃子", "醤油ラーメン（普通）", "醤油ラーメン（大盛）"}, names)

		// Turning variants off while items have one is refused.
		ramen.UsesVariants = false
		_, err = f.svc.SaveCategory(f.admin, ramen)
		require.Equal(t, map[string]string{"uses_variants": "not_allowed"}, fields(t, err))

		// The line copies name, price and the category's rate; a later
		// price change does not alter it.
		line, err := f.svc.Line(f.staff, shoyu.ID, 2)
		require.NoError(t, err)
		require.Equal(t, shoyu.ID.String(), line.Item)
		require.Equal(t, "醤油ラーメン（普通）", line.Name)
		require.Equal(t, int64(700), line.UnitPrice)
		require.Equal(t, 10, line.TaxRate)
		shoyu.UnitPrice = 750
		_, err = f.svc.SaveItem(f.admin, shoyu)
		require.NoError(t, err)
		require.Equal(t, int64(700), line.UnitPrice)
		gl, err := f.svc.Line(f.staff, g.ID, 1)
		require.NoError(t, err)
		require.Equal(t, 8, gl.TaxRate)

		// Archived items are hidden from new purchases.
		g.Archived = true
		_, err = f.svc.SaveItem(f.admin, g)
		require.NoError(t, err)
		_, err = f.svc.Line(f.staff, g.ID, 1)
		require.Equal(t, map[string]string{"item": "not_allowed"}, fields(t, err))
		items, err = f.svc.Items(f.staff, gyoza.ID, false)
		require.NoError(t, err)
		require.Empty(t, items)
		items, err = f.svc.Items(f.staff, gyoza.ID, true)
		require.NoError(t, err)
		require.Len(t, items, 1)

		// A category with items cannot be deleted; an empty one can.
		err = f.svc.DeleteCategory(f.admin, gyoza.ID)
		require.Equal(t, map[string]string{"category": "not_allowed"}, fields(t, err))
		empty, err := f.svc.SaveCategory(f.admin, catalog.Category{Name: "ドリンク", TaxRate: 10})
		require.NoError(t, err)
		require.NoError(t, f.svc.DeleteCategory(f.admin, empty.ID))
		require.ErrorIs(t, f.svc.DeleteCategory(f.admin, empty.ID), catalog.ErrNotFound)

		// Tenants and customers see nothing of it.
		cats, err = f.svc.Categories(f.other)
		require.NoError(t, err)
		require.Empty(t, cats)
		_, err = f.svc.Item(f.other, shoyu.ID)
		require.ErrorIs(t, err, catalog.ErrNotFound)
		_, err = f.svc.SaveItem(f.other, catalog.Item{ID: shoyu.ID, Category: ramen.ID, Name: "x", Variant: "y"})
		require.Equal(t, map[string]string{"category": "unknown"}, fields(t, err))
		_, err = f.svc.Categories(f.portal)
		require.ErrorIs(t, err, catalog.ErrPermissionDenied)
	})
}

func sjis(t *testing.T, s string) []byte {
	t.Helper()
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(s))
	require.NoError(t, err)
	return b
}

func TestImportExportCSV(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		file := "カテゴリー,税率,分類を使用,分類,商品・サービス名,価格(税抜),表示優先度\r\n" +
			"ラーメン,10%,はい,醤油,醤油ラーメン 普通,700,0\r\n" +
			"ラーメン,10%,はい,醤油,醤油ラーメン 大盛,\"￥800\",1\r\n" +
			"ラーメン,10%,はい,味噌,味噌ラーメン 普通,７００円,0\r\n" +
			"餃子,8%,,,餃子,350,\r\n" +
			"ドリンク,10,,,,,\r\n"
		rep, err := f.svc.ImportCSV(f.admin, bytes.NewReader(sjis(t, file)))
		require.NoError(t, err)
		require.Equal(t, customer.ShiftJIS, rep.Encoding)
		require.Equal(t, 5, rep.Rows)
		require.Equal(t, 3, rep.CategoriesCreated)
		require.Equal(t, 4, rep.ItemsCreated)
		items, err := f.svc.Items(f.staff, uuid.Nil, false)
		require.NoError(t, err)
		prices := map[string]int64{}
		for _, it := range items {
			prices[it.DisplayName()] = it.UnitPrice
		}
		require.Equal(t, map[string]int64{"醤油ラーメン 普通（醤油）": 700, "醤油ラーメン 大盛（醤油）": 800, "味噌ラーメン 普通（味噌）": 700, "餃子": 350}, prices)

		// Export, change a price and archive an item, import again: updates.
		var out bytes.Buffer
		n, err := f.svc.ExportCSV(f.admin, &out, customer.UTF8BOM)
		require.NoError(t, err)
		require.Equal(t, 5, n)
		text := strings.TrimPrefix(out.String(), "\uFEFF")
		require.Contains(t, text, "カテゴリー,税率,分類を使用,カテゴリー表示優先度,分類,商品・サービス名,価格(税抜),表示優先度,アーカイブ\r\n")
		require.Contains(t, text, "ドリンク,10%,,0,,,,,\r\n")
		text = strings.Replace(text, "餃子,8%,,0,,餃子,350,0,", "餃子,8%,,0,,餃子,380,0,はい", 1)
		rep, err = f.svc.ImportCSV(f.admin, strings.NewReader(text))
		require.NoError(t, err)
		require.Equal(t, customer.UTF8, rep.Encoding)
		require.Equal(t, 0, rep.CategoriesCreated+rep.CategoriesUpdated+rep.ItemsCreated)
		require.Equal(t, 1, rep.ItemsUpdated)
		all, err := f.svc.Items(f.staff, uuid.Nil, true)
		require.NoError(t, err)
		require.Len(t, all, 4)
		for _, it := range all {
			if it.Name == "餃子" {
				require.Equal(t, int64(380), it.UnitPrice)
				require.True(t, it.Archived)
			}
		}

		// Shift_JIS export holds the same rows.
		out.Reset()
		_, err = f.svc.ExportCSV(f.admin, &out, customer.ShiftJIS)
		require.NoError(t, err)
		dec, err := japanese.ShiftJIS.NewDecoder().Bytes(out.Bytes())
		require.NoError(t, err)
		require.Contains(t, string(dec), "ラーメン,10%,はい,0,醤油,醤油ラーメン 大盛,800,1,\r\n")
	})
}

func TestImportCSVErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		_, err := f.svc.SaveCategory(f.admin, catalog.Category{Name: "セット", TaxRate: 10})
		require.NoError(t, err)
		file := "カテゴリー,税率,分類を使用,分類,商品・サービス名,価格(税抜),色\n" +
			"ラーメン,10%,はい,醤油,醤油ラーメン,700,\n"
		rep, err := f.svc.ImportCSV(f.admin, strings.NewReader(file))
		require.ErrorIs(t, err, catalog.ErrImportRejected)
		require.Equal(t, []catalog.RowError{{Line: 1, Column: "色", Code: "unknown", Param: "色"}}, rep.Errors)

		file = "カテゴリー,税率,分類を使用,分類,商品・サービス名,価格(税抜)\n" +
			"ラーメン,10%,はい,醤油,醤油ラーメン,700\n" + // fine
			"ラーメン,8%,はい,塩,塩ラーメン,abc\n" + // rate disagrees, price not a number
			",10%,,,焼飯,500\n" + // no category
			"餃子,5%,,6個,餃子,\n" + // bad rate, variant in a category without, no price
			"ラーメン,10%,はい,醤油,醤油ラーメン,710\n" + // the same item twice
			"丼,10%,たぶん,,親子丼,900\n" + // yes/no unreadable
			"\"壊れた,10\n"
		rep, err = f.svc.ImportCSV(f.admin, strings.NewReader(file))
		require.ErrorIs(t, err, catalog.ErrImportRejected)
		require.Equal(t, 7, rep.Rows)
		require.Equal(t, []catalog.RowError{
			{Line: 3, Column: "税率", Code: "duplicate", Param: "2"},
			{Line: 3, Column: "価格(税抜)", Code: "format"},
			{Line: 4, Column: "カテゴリー", Code: "required"},
			{Line: 5, Column: "税率", Code: "unknown", Param: "5"},
			{Line: 5, Column: "価格(税抜)", Code: "required"},
			{Line: 5, Column: "分類", Code: "not_allowed", Param: "餃子"},
			{Line: 6, Column: "商品・サービス名", Code: "duplicate", Param: "2"},
			{Line: 7, Column: "分類を使用", Code: "format"},
			{Line: 8, Code: "format", Param: rep.Errors[8].Param},
		}, rep.Errors)
		// Nothing was imported.
		cats, err := f.svc.Categories(f.staff)
		require.NoError(t, err)
		require.Len(t, cats, 1)

		// A file that is not CSV, and a staff member, are refused.
		_, err = f.svc.ImportCSV(f.admin, bytes.NewReader([]byte("PK\x03\x04\x00\x00binary")))
		require.Equal(t, map[string]string{"file": "not_csv"}, fields(t, err))
		_, err = f.svc.ImportCSV(f.staff, strings.NewReader(file))
		require.True(t, errors.Is(err, catalog.ErrPermissionDenied))
	})
}

func TestMerge(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		menu := []template.CatalogItem{
			{Key: "a", Name: "醤油ラーメン", Category: "ラーメン", Classification: "普通", UnitPrice: 700, TaxRate: 10},
			{Key: "b", Name: "醤油ラーメン", Category: "ラーメン", Classification: "大盛", UnitPrice: 800, TaxRate: 10},
			{Key: "c", Name: "持ち帰り餃子", Category: "持ち帰り", UnitPrice: 350, TaxRate: 8},
		}
		_, err := f.svc.Merge(f.staff, menu)
		require.ErrorIs(t, err, catalog.ErrPermissionDenied)

		// Problems name the item; nothing is added.
		bad := append(slices.Clone(menu),
			template.CatalogItem{Name: "無所属", UnitPrice: 1, TaxRate: 10},
			template.CatalogItem{Name: "酒", Category: "持ち帰り", UnitPrice: 500, TaxRate: 10})
		_, err = f.svc.Merge(f.admin, bad)
		require.Equal(t, map[string]string{"items[3].category": validation.CodeRequired, "items[4].tax_rate": validation.CodeNotAllowed}, fields(t, err))
		_, err = f.svc.Merge(f.admin, []template.CatalogItem{{Name: "x", Category: "五%", TaxRate: 5}})
		require.Equal(t, map[string]string{"items[0].tax_rate": validation.CodeUnknown}, fields(t, err))
		cats, err := f.svc.Categories(f.admin)
		require.NoError(t, err)
		require.Empty(t, cats)

		n, err := f.svc.Merge(f.admin, menu)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		n, err = f.svc.Merge(f.admin, menu)
		require.NoError(t, err)
		require.Zero(t, n, "merging again adds nothing")
		cats, err = f.svc.Categories(f.admin)
		require.NoError(t, err)
		require.Len(t, cats, 2)
		for _, c := range cats {
			require.Equal(t, c.Name == "ラーメン", c.UsesVariants, c.Name)
			require.Equal(t, map[string]int{"ラーメン": 10, "持ち帰り": 8}[c.Name], c.TaxRate)
		}
		items, err := f.svc.Items(f.admin, uuid.Nil, false)
		require.NoError(t, err)
		require.Len(t, items, 3)
		require.Equal(t, "醤油ラーメン（大盛）", items[0].DisplayName(), "by variant")
		require.Equal(t, int64(800), items[0].UnitPrice)

		// An item in an existing category without variants must fit it.
		_, err = f.svc.Merge(f.admin, []template.CatalogItem{{Name: "焼売", Category: "持ち帰り", Classification: "6個", UnitPrice: 400, TaxRate: 8}})
		require.Equal(t, map[string]string{"items[0].variant": validation.CodeNotAllowed}, fields(t, err))
		_, err = f.svc.Items(f.other, uuid.Nil, true)
		require.NoError(t, err)
	})
}

// TestOrderIsTheSameOnEveryDatabase: categories and items are listed by
// position, then by their name's key (katakana as hiragana, full-width as
// ASCII, lower case, compared by code point), then by ID — never by the
// database's collation, so SQLite and PostgreSQL list them alike. The
// names' own code point order differs from it.
func TestOrderIsTheSameOnEveryDatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		// Typed in an order that is neither the expected nor the names'.
		byName := map[string]uuid.UUID{}
		for _, n := range []string{"餃子", "ﾗｰﾒﾝ", "Banana", "ｚｅｂｒａ", "カレー", "apple", "うどん", "ラーメン", "らーめん", "Apple"} {
			c, err := f.svc.SaveCategory(f.admin, catalog.Category{Name: n, TaxRate: 10})
			require.NoError(t, err)
			byName[c.Name] = c.ID
		}
		first, err := f.svc.SaveCategory(f.admin, catalog.Category{Name: "ドリンク", TaxRate: 10, Position: -1})
		require.NoError(t, err)
		// Equal keys (ラーメン, ﾗｰﾒﾝ, らーめん; Apple, apple) go by ID.
		byID := func(names ...string) []string {
			return slices.SortedFunc(slices.Values(names), func(a, b string) int {
				return strings.Compare(byName[a].String(), byName[b].String())
			})
		}
		want := append([]string{"ドリンク"}, byID("Apple", "apple")...)
		want = append(want, "Banana", "ｚｅｂｒａ", "うどん", "カレー")
		want = append(want, byID("ﾗｰﾒﾝ", "ラーメン", "らーめん")...)
		want = append(want, "餃子")
		cats, err := f.svc.Categories(f.staff)
		require.NoError(t, err)
		var got []string
		for _, c := range cats {
			got = append(got, c.Name)
		}
		require.Equal(t, want, got)

		// Renaming moves a category: its key is rewritten.
		_, err = f.svc.SaveCategory(f.admin, catalog.Category{ID: first.ID, Name: "ｱｲｽ", TaxRate: 10})
		require.NoError(t, err)
		cats, err = f.svc.Categories(f.staff)
		require.NoError(t, err)
		got = nil
		for _, c := range cats {
			got = append(got, c.Name)
		}
		require.Equal(t, slices.Concat(want[1:5], []string{"ｱｲｽ"}, want[5:]), got, "position 0 now: あいす after the ASCII names, before うどん")

		// Items: by position, then variant, then name, then ID.
		cat, err := f.svc.SaveCategory(f.admin, catalog.Category{Name: "麺", TaxRate: 10, UsesVariants: true, Position: 5})
		require.NoError(t, err)
		for _, it := range [][2]string{{"醤油", "ラーメン"}, {"味噌", "ラーメン"}, {"ＸＬ", "うどん"}, {"xl", "Soba"}, {"しょうゆ", "うどん"}, {"xl", "soba"}} {
			_, err := f.svc.SaveItem(f.admin, catalog.Item{Category: cat.ID, Variant: it[0], Name: it[1], UnitPrice: 500})
			require.NoError(t, err)
		}
		items, err := f.svc.Items(f.staff, cat.ID, false)
		require.NoError(t, err)
		got = nil
		for _, it := range items {
			got = append(got, it.DisplayName())
		}
		soba := []string{"Soba（xl）", "soba（xl）"}
		if items[0].Name == "soba" {
			soba[0], soba[1] = soba[1], soba[0]
		}
		require.Less(t, items[0].ID.String(), items[1].ID.String(), "equal keys by ID")
		require.Equal(t, append(soba, "うどん（ＸＬ）", "うどん（しょうゆ）", "ラーメン（味噌）", "ラーメン（醤油）"), got)

		// Rows written before the sort key existed get theirs from Migrate.
		for _, table := range []string{"catalog_categories", "catalog_items"} {
			_, err := db.NewUpdate().Table(table).Set("sort_key = NULL").Where("tenant_id IS NOT NULL").Exec(context.Background())
			require.NoError(t, err)
		}
		require.NoError(t, catalog.Migrate(context.Background(), db))
		again, err := f.svc.Categories(f.staff)
		require.NoError(t, err)
		require.Equal(t, cats, again[:len(cats)])
		againItems, err := f.svc.Items(f.staff, cat.ID, false)
		require.NoError(t, err)
		require.Equal(t, items, againItems)
	})
}
