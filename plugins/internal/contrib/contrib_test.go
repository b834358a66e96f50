package contrib_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/plugins/internal/contrib"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

func TestTemplate(t *testing.T) {
	t.Parallel()
	lo, hi := 0.0, 600.0
	in := sdk.Template{
		Key: "shop:order", Name: "注文", Description: "店頭の注文", Confidential: true, TaxRounding: "round",
		Computed: []string{"total"},
		Fields: []sdk.Field{
			{Key: "minutes", Label: "時間", Type: "integer", Required: true, Min: &lo, Max: &hi, Unit: "分", Help: "所要時間"},
			{Key: "dining", Label: "区分", Type: "select", Options: []string{"店内", "持ち帰り"}, Default: "店内"},
			{Key: "lines", Label: "明細", Type: "lines", Catalog: "menu"},
			{Key: "sold", Label: "販売", Type: "lines", TenantCatalog: true},
			{Key: "total", Label: "合計", Type: "money"},
		},
		Aggregations: []sdk.Aggregation{{Key: "sales", Label: "売上", Expr: "sum(.total)", Unit: "円"}},
		Catalogs: []sdk.Catalog{{Key: "menu", Name: "メニュー", Items: []sdk.CatalogItem{
			{Key: "shoyu", Name: "醤油ラーメン", Category: "ラーメン", Classification: "普通", UnitPrice: 800, TaxRate: 10},
		}}},
	}
	got := contrib.Template(in)
	require.Equal(t, template.Template{
		Key: "shop:order", Version: 1, Name: "注文", Description: "店頭の注文", Confidential: true,
		TaxRounding: template.RoundHalfUp, Computed: []string{"total"},
		Fields: []template.Field{
			{Key: "minutes", Label: "時間", Type: template.FieldInteger, Required: true, Min: template.Limit(0), Max: template.Limit(600), Unit: "分", Help: "所要時間"},
			{Key: "dining", Label: "区分", Type: template.FieldSelect, Options: []string{"店内", "持ち帰り"}, Default: "店内"},
			{Key: "lines", Label: "明細", Type: template.FieldLines, Catalog: "menu"},
			{Key: "sold", Label: "販売", Type: template.FieldLines, TenantCatalog: true},
			{Key: "total", Label: "合計", Type: template.FieldMoney},
		},
		Aggregations: []template.Aggregation{{Key: "sales", Label: "売上", Expr: "sum(.total)", Unit: "円"}},
		Catalogs: []template.Catalog{{Key: "menu", Name: "メニュー", Items: []template.CatalogItem{
			{Key: "shoyu", Name: "醤油ラーメン", Category: "ラーメン", Classification: "普通", UnitPrice: 800, TaxRate: 10},
		}}},
	}, got)
	// The limits are copies: changing the input afterwards changes nothing.
	lo = 5
	require.Equal(t, 0.0, *got.Fields[0].Min)
	require.Equal(t, template.Template{Key: "x:y", Version: 1}, contrib.Template(sdk.Template{Key: "x:y"}))
}

func TestMasters(t *testing.T) {
	t.Parallel()
	visit, phone := contactlog.MasterItem{Code: "visit", Label: "訪問"}, contactlog.MasterItem{Code: "phone", Label: "電話"}
	counter := contactlog.MasterItem{Code: "shop:counter", Label: "店頭"}
	other := contactlog.MasterItem{Code: "care:home", Label: "居宅"}
	items := []sdk.MasterItem{
		{Kind: "channel", Code: "shop:counter", Label: " 店頭 "},
		{Kind: "channel", Code: "shop:phone", Label: "電話注文"},
		{Kind: "result", Code: "shop:sold", Label: "販売"},
	}
	shopPhone := contactlog.MasterItem{Code: "shop:phone", Label: "電話注文"}
	archived := func(it contactlog.MasterItem) contactlog.MasterItem { it.Archived = true; return it }
	for name, tc := range map[string]struct {
		kind      contactlog.MasterKind
		cur, want []contactlog.MasterItem
		items     []sdk.MasterItem
	}{
		"install": {contactlog.MasterChannel, []contactlog.MasterItem{visit, phone}, []contactlog.MasterItem{visit, phone, counter, shopPhone}, items},
		"again":   {contactlog.MasterChannel, []contactlog.MasterItem{visit, counter, phone, shopPhone}, []contactlog.MasterItem{visit, counter, phone, shopPhone}, items},
		"other kind": {contactlog.MasterResult, []contactlog.MasterItem{{Code: "met", Label: "面談済"}},
			[]contactlog.MasterItem{{Code: "met", Label: "面談済"}, {Code: "shop:sold", Label: "販売"}}, items},
		"no items of the kind": {contactlog.MasterProgress, []contactlog.MasterItem{visit}, []contactlog.MasterItem{visit}, items},
		"relabel and unarchive": {contactlog.MasterChannel,
			[]contactlog.MasterItem{{Code: "shop:counter", Label: "カウンター", Archived: true}, visit, shopPhone},
			[]contactlog.MasterItem{counter, visit, shopPhone}, items},
		"dropped items archived, others untouched": {contactlog.MasterChannel,
			[]contactlog.MasterItem{visit, archived(phone), counter, other, shopPhone, {Code: "shop:takeout", Label: "持ち帰り"}},
			[]contactlog.MasterItem{visit, archived(phone), counter, other, archived(shopPhone), archived(contactlog.MasterItem{Code: "shop:takeout", Label: "持ち帰り"})},
			items[:1]},
		"namespace is the whole name": {contactlog.MasterChannel, []contactlog.MasterItem{{Code: "shopping:x", Label: "x"}},
			[]contactlog.MasterItem{{Code: "shopping:x", Label: "x"}}, nil},
		"category2 parent": {contactlog.MasterCategory2, []contactlog.MasterItem{{Code: "shop:a", Label: "A", Parent: "product"}},
			[]contactlog.MasterItem{{Code: "shop:a", Label: "A", Parent: "shop:menu"}},
			[]sdk.MasterItem{{Kind: "category2", Code: "shop:a", Label: "A", Parent: "shop:menu"}}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cur := slices.Clone(tc.cur)
			got := contrib.Masters("shop", tc.kind, cur, tc.items)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.cur, cur, "cur is not modified")
			require.Equal(t, got, contrib.Masters("shop", tc.kind, got, tc.items), "merging again changes nothing")
		})
	}
}

func TestCustomerField(t *testing.T) {
	t.Parallel()
	opts := []string{"要支援1", "要介護1"}
	got := contrib.CustomerField(sdk.CustomerField{Key: "care:level", Label: "要介護度", Type: "select", Options: opts, Required: true}, 3)
	require.Equal(t, customer.FieldDef{Key: "care:level", Label: "要介護度", Type: customer.FieldSelect, Options: opts, Required: true, Position: 3}, got)
	got.Options[0] = "x"
	require.Equal(t, "要支援1", opts[0], "options are copied")
	for typ, want := range map[string]customer.FieldType{
		"text": customer.FieldText, "number": customer.FieldNumber, "integer": customer.FieldInteger,
		"date": customer.FieldDate, "boolean": customer.FieldBoolean, "select": customer.FieldSelect,
	} {
		require.Equal(t, want, contrib.CustomerField(sdk.CustomerField{Type: typ}, 0).Type)
	}
}
