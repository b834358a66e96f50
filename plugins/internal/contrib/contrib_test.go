package contrib_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/plugins/internal/contrib"
	"github.com/kirokuhq/kiroku/plugins/internal/pluginapi"
)

func TestTemplate(t *testing.T) {
	t.Parallel()
	lo, hi := 0.0, 600.0
	in := pluginapi.Template{
		Key: "shop:order", Name: "注文", Description: "店頭の注文", Confidential: true, TaxRounding: "round",
		Computed: []string{"total"},
		Fields: []pluginapi.Field{
			{Key: "minutes", Label: "時間", Type: "integer", Required: true, Min: &lo, Max: &hi, Unit: "分", Help: "所要時間"},
			{Key: "dining", Label: "区分", Type: "select", Options: []string{"店内", "持ち帰り"}, Default: "店内"},
			{Key: "lines", Label: "明細", Type: "lines", Catalog: "menu"},
			{Key: "total", Label: "合計", Type: "money"},
		},
		Aggregations: []pluginapi.Aggregation{{Key: "sales", Label: "売上", Expr: "sum(.total)", Unit: "円"}},
		Catalogs: []pluginapi.Catalog{{Key: "menu", Name: "メニュー", Items: []pluginapi.CatalogItem{
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
	require.Equal(t, template.Template{Key: "x:y", Version: 1}, contrib.Template(pluginapi.Template{Key: "x:y"}))
}
