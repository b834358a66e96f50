package template_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/validation"
)

// ramenShop is a MASPO-style shop: categories with classifications, prices
// tax excluded, food at 10% eaten in (8% taken out).
func ramenShop(r template.Rounding) template.Template {
	return template.Template{
		Key: "tenant:ramen", Version: 1, Name: "会計", TaxRounding: r,
		Catalogs: []template.Catalog{{
			Key: "menu", Name: "メニュー",
			Items: []template.CatalogItem{
				{Key: "shoyu_regular", Name: "醤油ラーメン 普通", Category: "ラーメン", Classification: "普通", UnitPrice: 700, TaxRate: 10},
				{Key: "shoyu_large", Name: "醤油ラーメン 大盛", Category: "ラーメン", Classification: "大盛", UnitPrice: 800, TaxRate: 10},
				{Key: "miso_regular", Name: "味噌ラーメン 普通", Category: "ラーメン", Classification: "普通", UnitPrice: 700, TaxRate: 10},
				{Key: "gyoza", Name: "餃子", Category: "餃子", UnitPrice: 350, TaxRate: 10},
				{Key: "odd", Name: "半端な品", Category: "その他", UnitPrice: 333, TaxRate: 8},
			},
		}},
		Fields: []template.Field{
			{Key: "items", Label: "会計項目", Type: template.FieldLines, Catalog: "menu", Required: true, Max: template.Limit(5)},
		},
	}
}

func TestLinesReceiptWithTwoRates(t *testing.T) {
	t.Parallel()
	tpl := ramenShop("")
	require.NoError(t, tpl.Check())
	// Eat-in ramen (10%) and take-out gyoza (8%, overriding the catalog),
	// as JSON would send them.
	var in map[string]any
	require.NoError(t, json.Unmarshal([]byte(`{"items": [
		{"item": "shoyu_regular", "quantity": 2},
		{"item": "gyoza", "quantity": "１", "tax_rate": 8, "name": "餃子(持ち帰り)"}
	]}`), &in))
	out, verr := tpl.Validate(in, tokyo)
	require.Nil(t, verr)
	require.Equal(t, template.Lines{
		Items: []template.Line{
			{Item: "shoyu_regular", Name: "醤油ラーメン 普通", Quantity: 2, UnitPrice: 700, TaxRate: 10, Subtotal: 1400},
			{Item: "gyoza", Name: "餃子(持ち帰り)", Quantity: 1, UnitPrice: 350, TaxRate: 8, Subtotal: 350},
		},
		Subtotal: 1750,
		Taxes:    []template.TaxAmount{{Rate: 8, Base: 350, Tax: 28}, {Rate: 10, Base: 1400, Tax: 140}},
		Tax:      168,
		Total:    1918,
	}, out["items"])
}

// TestLinesTaxRoundedPerReceipt: the tax of each rate is rounded once over
// the receipt, not per line.
func TestLinesTaxRoundedPerReceipt(t *testing.T) {
	t.Parallel()
	three := []template.Line{{Item: "odd", Quantity: 1}, {Item: "odd", Quantity: 1}, {Item: "odd", Quantity: 1}}
	tests := []struct {
		rounding template.Rounding
		lines    []template.Line
		tax      int64
	}{
		// 333 × 8% = 26.64
		{template.RoundFloor, three[:1], 26},
		{template.RoundHalfUp, three[:1], 27},
		{template.RoundCeil, three[:1], 27},
		// 999 × 8% = 79.92: per receipt 79 (floor), not 3 × 26 = 78
		{template.RoundFloor, three, 79},
		{template.RoundHalfUp, three, 80},
		{template.RoundCeil, three, 80},
		// the default is floor
		{"", three, 79},
		// 1,750 at 8% and 1,505 at 10%: 140 + 150.5
		{template.RoundFloor, []template.Line{
			{Item: "shoyu_regular", Quantity: 2.5, TaxRate: 8},
			{Item: "shoyu_large", Quantity: 1.5, TaxRate: 10},
			{Item: "gyoza", Quantity: 0.9, TaxRate: 10}, // 315
		}, 140 + 151},
		{template.RoundHalfUp, []template.Line{
			{Item: "shoyu_regular", Quantity: 2.5, TaxRate: 8},
			{Item: "shoyu_large", Quantity: 1.5, TaxRate: 10},
			{Item: "gyoza", Quantity: 1, UnitPrice: 305, TaxRate: 10}, // 1,505 × 10% = 150.5
		}, 140 + 151},
		{template.RoundFloor, []template.Line{
			{Item: "shoyu_large", Quantity: 1.5, TaxRate: 10},
			{Item: "gyoza", Quantity: 1, UnitPrice: 305, TaxRate: 10},
		}, 150},
		// a discount line (値引き) lowers the base before rounding
		{template.RoundFloor, []template.Line{
			{Item: "odd", Quantity: 3},
			{Item: "odd", Name: "値引き", Quantity: 1, UnitPrice: -99},
		}, 72}, // 900 × 8%
	}
	for _, tc := range tests {
		tpl := ramenShop(tc.rounding)
		out, verr := tpl.Validate(map[string]any{"items": tc.lines}, tokyo)
		require.Nil(t, verr)
		l := out["items"].(template.Lines)
		require.Equal(t, tc.tax, l.Tax, "%s %+v", tc.rounding, tc.lines)
		require.Equal(t, l.Subtotal+l.Tax, l.Total)
	}
}

func TestComputeLines(t *testing.T) {
	t.Parallel()
	l := template.ComputeLines([]template.Line{
		{Name: "もみほぐし 40分", Quantity: 1, UnitPrice: 4000, TaxRate: 10},
		{Name: "量り売り", Quantity: 1.255, UnitPrice: 200, TaxRate: 8}, // 251
		{Name: "返金", Quantity: 1, UnitPrice: -55, TaxRate: 8},       // 8% of 196 = 15.68
	}, template.RoundFloor)
	require.Equal(t, int64(251), l.Items[1].Subtotal)
	require.Equal(t, []template.TaxAmount{{Rate: 8, Base: 196, Tax: 15}, {Rate: 10, Base: 4000, Tax: 400}}, l.Taxes)
	require.Equal(t, int64(4196+415), l.Total)

	neg := template.ComputeLines([]template.Line{{Name: "返品", Quantity: 1, UnitPrice: -333, TaxRate: 8}}, template.RoundFloor)
	require.Equal(t, int64(-26), neg.Tax) // the magnitude is rounded

	empty := template.ComputeLines(nil, "")
	require.Equal(t, template.Lines{Items: []template.Line{}, Taxes: []template.TaxAmount{}}, empty)
}

func TestLinesWithoutCatalog(t *testing.T) {
	t.Parallel()
	usage := template.Builtins()[5]
	require.Equal(t, template.KeyUsage, usage.Key)
	items, _ := usage.Field("items")
	require.True(t, items.TenantCatalog, "利用・会計 v2 draws from the tenant catalog")
	out, verr := usage.Validate(map[string]any{"items": []any{
		map[string]any{"name": "もみほぐし 40分", "quantity": 1, "unit_price": "4,000", "tax_rate": "10%"},
		map[string]any{"name": "ヘッドマッサージ", "quantity": "1", "unit_price": 2000, "tax_rate": 10},
	}}, tokyo)
	require.Nil(t, verr)
	require.Equal(t, int64(6600), out["items"].(template.Lines).Total)

	_, verr = usage.Validate(map[string]any{"items": []any{map[string]any{"quantity": 1}}}, tokyo)
	require.NotNil(t, verr)
	require.True(t, problems(t, verr).Has("fields.items[0].name", validation.CodeRequired))
	require.True(t, problems(t, verr).Has("fields.items[0].unit_price", validation.CodeRequired))
	require.True(t, problems(t, verr).Has("fields.items[0].tax_rate", validation.CodeRequired))

	_, verr = usage.Validate(map[string]any{"items": []any{}}, tokyo)
	require.True(t, problems(t, verr).Has("fields.items", validation.CodeRequired))
}

// TestLinesItemsOnlyInTenantCatalogFields: ValidateOptions.Items resolves
// the items of a field that uses the tenant catalog and of no other: a
// plain field's item is a product code kept as typed, even a UUID.
func TestLinesItemsOnlyInTenantCatalogFields(t *testing.T) {
	t.Parallel()
	tpl := template.Template{Key: "tenant:shop", Version: 1, Name: "販売", Fields: []template.Field{
		{Key: "sold", Label: "販売", Type: template.FieldLines, TenantCatalog: true},
		{Key: "parts", Label: "部品", Type: template.FieldLines},
	}}
	require.NoError(t, tpl.Check())
	id := "0b6f5f2e-8d2c-4d55-9a59-3f1d3c1b0e11"
	var asked []string
	opts := template.ValidateOptions{Location: tokyo, Items: func(field, item string) (*template.CatalogItem, string, error) {
		asked = append(asked, field+"/"+item)
		switch item {
		case "":
			return nil, "", nil
		case id:
			return &template.CatalogItem{Key: id, Name: "ボルト", Category: "部品", UnitPrice: 30, TaxRate: 10}, "", nil
		}
		return nil, validation.CodeUnknown, nil
	}}
	line := map[string]any{"item": id, "name": "他社ボルト", "quantity": 2, "unit_price": 45, "tax_rate": 10}
	out, err := tpl.ValidateWith(map[string]any{
		"sold":  []any{map[string]any{"item": id, "quantity": 2}, map[string]any{"name": "値引き", "quantity": 1, "unit_price": -10, "tax_rate": 10}},
		"parts": []any{line},
	}, opts)
	require.NoError(t, err)
	require.Equal(t, []string{"sold/" + id, "sold/"}, asked, "the plain field is never looked up")
	require.Equal(t, template.Line{Item: id, Name: "ボルト", Category: "部品", Quantity: 2, UnitPrice: 30, TaxRate: 10, Subtotal: 60},
		out["sold"].(template.Lines).Items[0])
	require.Equal(t, template.Line{Item: id, Name: "他社ボルト", Quantity: 2, UnitPrice: 45, TaxRate: 10, Subtotal: 90},
		out["parts"].(template.Lines).Items[0])

	_, err = tpl.ValidateWith(map[string]any{"sold": []any{map[string]any{"item": "A-100", "quantity": 1}}}, opts)
	require.True(t, problems(t, err).Has("fields.sold[0].item", validation.CodeUnknown))
}

func TestLinesProblems(t *testing.T) {
	t.Parallel()
	tpl := ramenShop("")
	tests := []struct {
		name  string
		lines any
		field string
		code  string
	}{
		{"unknown item", []any{map[string]any{"item": "tonkotsu", "quantity": 1}}, "fields.items[0].item", validation.CodeUnknown},
		{"item required with a catalog", []any{map[string]any{"name": "何か", "quantity": 1}}, "fields.items[0].item", validation.CodeRequired},
		{"quantity required", []any{map[string]any{"item": "gyoza"}}, "fields.items[0].quantity", validation.CodeRequired},
		{"quantity zero", []any{map[string]any{"item": "gyoza", "quantity": 0}}, "fields.items[0].quantity", validation.CodeOutOfRange},
		{"quantity negative", []template.Line{{Item: "gyoza", Quantity: -1}}, "fields.items[0].quantity", validation.CodeOutOfRange},
		{"quantity too precise", []any{map[string]any{"item": "gyoza", "quantity": 0.0005}}, "fields.items[0].quantity", validation.CodeFormat},
		{"quantity garbage", []any{map[string]any{"item": "gyoza", "quantity": "たくさん"}}, "fields.items[0].quantity", validation.CodeFormat},
		{"tax rate over 100", []any{map[string]any{"item": "gyoza", "quantity": 1, "tax_rate": 120}}, "fields.items[0].tax_rate", validation.CodeOutOfRange},
		{"tax rate fraction", []any{map[string]any{"item": "gyoza", "quantity": 1, "tax_rate": 8.5}}, "fields.items[0].tax_rate", validation.CodeFormat},
		{"price fraction", []any{map[string]any{"item": "gyoza", "quantity": 1, "unit_price": "350.5"}}, "fields.items[0].unit_price", validation.CodeFormat},
		{"price too high", []any{map[string]any{"item": "gyoza", "quantity": 1, "unit_price": 2e9}}, "fields.items[0].unit_price", validation.CodeOutOfRange},
		{"unknown line key", []any{map[string]any{"item": "gyoza", "quantity": 1, "discount": 5}}, "fields.items[0].discount", validation.CodeUnknown},
		{"line wrong type", []any{"gyoza"}, "fields.items[0]", validation.CodeWrongType},
		{"lines wrong type", "gyoza x2", "fields.items", validation.CodeWrongType},
		{"too many lines", []template.Line{{Item: "gyoza", Quantity: 1}, {Item: "gyoza", Quantity: 1}, {Item: "gyoza", Quantity: 1},
			{Item: "gyoza", Quantity: 1}, {Item: "gyoza", Quantity: 1}, {Item: "gyoza", Quantity: 1}}, "fields.items", validation.CodeTooMany},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, verr := tpl.Validate(map[string]any{"items": tc.lines}, tokyo)
			require.NotNil(t, verr)
			require.True(t, problems(t, verr).Has(tc.field, tc.code), "got %v", verr)
		})
	}
}

func TestLinesRoundTrip(t *testing.T) {
	t.Parallel()
	tpl := ramenShop(template.RoundHalfUp)
	out, verr := tpl.Validate(map[string]any{"items": []template.Line{
		{Item: "miso_regular", Quantity: 1},
		{Item: "gyoza", Quantity: 2, TaxRate: 8},
	}}, tokyo)
	require.Nil(t, verr)
	b, err := json.Marshal(out)
	require.NoError(t, err)
	var back map[string]any
	require.NoError(t, json.Unmarshal(b, &back))
	again, verr := tpl.Validate(back, tokyo)
	require.Nil(t, verr)
	require.Equal(t, out, again)
}
