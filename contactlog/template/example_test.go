package template_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/validation"
)

// A daily report (日報) is validated as staff type it, then a month of
// reports is aggregated.
func Example() {
	registry := template.NewRegistry(nil) // built-ins only; pass a *Store for tenant templates
	tenant := uuid.MustParse("0190f5a0-0000-7000-8000-000000000001")
	daily, err := registry.Template(context.Background(), tenant, template.KeyDaily, 0)
	if err != nil {
		fmt.Println(err)
		return
	}

	values, verr := daily.Validate(map[string]any{
		"work_minutes": "7時間30分", // durations become minutes
		"visits":       "３",      // full-width digits are folded
		"work_done":    "ルート営業、新規2件",
	}, nil)
	if verr != nil {
		fmt.Println(verr)
		return
	}
	fmt.Println(values["work_minutes"], values["visits"])

	// Every problem at once, with stable codes.
	_, err = daily.Validate(map[string]any{"work_minutes": "25:00", "visits": -1, "weather": "晴れ"}, nil)
	var problems *template.ValidationError
	errors.As(err, &problems)
	for _, f := range problems.Fields {
		fmt.Println(strings.TrimSpace(f.Field + " " + f.Code + " " + f.Param))
	}

	// Aggregations over many records.
	records := []map[string]any{values, {"work_minutes": int64(300), "visits": int64(1)}}
	columns := daily.Columns(records)
	aggs, err := daily.CompileAggregations()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range aggs[:2] {
		v, err := a.Eval(columns)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s = %g %s\n", a.Label, v, a.Unit)
	}
	// Output:
	// 450 3
	// fields.weather unknown weather
	// fields.work_minutes out_of_range 0..1440
	// fields.visits out_of_range 0..1000
	// fields.work_done required
	// 作業時間合計 = 750 分
	// 作業時間合計(時間) = 12.5 時間
}

// A receipt with eat-in ramen (10%) and take-out gyoza (8%, 軽減税率): the
// tax of each rate is rounded once per receipt.
func Example_lines() {
	shop := template.Template{
		Key: "tenant:ramen", Name: "会計", TaxRounding: template.RoundFloor,
		Catalogs: []template.Catalog{{Key: "menu", Name: "メニュー", Items: []template.CatalogItem{
			{Key: "shoyu_large", Name: "醤油ラーメン 大盛", Category: "ラーメン", Classification: "大盛", UnitPrice: 800, TaxRate: 10},
			{Key: "gyoza", Name: "餃子", Category: "餃子", UnitPrice: 350, TaxRate: 10},
		}}},
		Fields: []template.Field{{Key: "items", Label: "会計項目", Type: template.FieldLines, Catalog: "menu", Required: true}},
	}
	values, verr := shop.Validate(map[string]any{"items": []any{
		map[string]any{"item": "shoyu_large", "quantity": 1},
		map[string]any{"item": "gyoza", "quantity": 3, "tax_rate": 8, "name": "餃子(持ち帰り)"},
	}}, nil)
	if verr != nil {
		fmt.Println(verr)
		return
	}
	l := values["items"].(template.Lines)
	for _, line := range l.Items {
		fmt.Printf("%s × %g  %d円 (%d%%)\n", line.Name, line.Quantity, line.Subtotal, line.TaxRate)
	}
	for _, tax := range l.Taxes {
		fmt.Printf("%d%%対象 %d円  消費税 %d円\n", tax.Rate, tax.Base, tax.Tax)
	}
	fmt.Printf("合計 %d円\n", l.Total)
	// Output:
	// 醤油ラーメン 大盛 × 1  800円 (10%)
	// 餃子(持ち帰り) × 3  1050円 (8%)
	// 8%対象 1050円  消費税 84円
	// 10%対象 800円  消費税 80円
	// 合計 2014円
}

// An aggregation expression that does not compile is reported with its
// position, so the template can never be stored.
func ExampleTemplate_Check() {
	t := template.Template{
		Key: "tenant:visit", Name: "訪問記録",
		Fields: []template.Field{
			{Key: "minutes", Label: "訪問時間", Type: template.FieldDuration},
			{Key: "memo", Label: "メモ", Type: template.FieldLongText},
		},
		Aggregations: []template.Aggregation{
			{Key: "total", Label: "合計", Expr: "sum(.minutes)"},
			{Key: "bad", Label: "壊れた式", Expr: "sum(.minutes) +\n  sum(.memo)"},
		},
	}
	err := t.Check()
	var verr *validation.Error
	if errors.As(err, &verr) {
		for _, f := range verr.Fields {
			fmt.Printf("%s: %s: %s\n", f.Field, f.Code, f.Param)
		}
	}
	// Output:
	// aggregations[1].expr: format: field .memo (longtext) is not numeric (2:7)
}

// Simple tells the report engine which aggregations it may push down to SQL.
func ExampleCompiledAggregation_Simple() {
	sales := template.Builtins()[1]
	aggs, err := sales.CompileAggregations()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range aggs {
		fn, field, ok := a.Simple()
		fmt.Println(a.Expr, "→", fn, field, ok)
	}
	// Output:
	// sum(.expected_amount) → sum expected_amount true
	// avg(.expected_amount) → avg expected_amount true
	// count() → count  true
}
