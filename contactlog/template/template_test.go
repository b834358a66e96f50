package template_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/validation"
)

func TestBuiltinsPassCheck(t *testing.T) {
	t.Parallel()
	want := []string{template.KeyInterview, template.KeySales, template.KeyInquiry,
		template.KeyClaim, template.KeyDaily, template.KeyUsage}
	var got []string
	for _, b := range template.Builtins() {
		got = append(got, b.Key)
		require.NoError(t, b.Check(), b.Key)
		require.GreaterOrEqual(t, b.Version, 1)
		require.NotEmpty(t, b.Name)
		aggs, err := b.CompileAggregations()
		require.NoError(t, err, b.Key)
		require.Len(t, aggs, len(b.Aggregations))
		for _, f := range b.Fields {
			require.NotEmpty(t, f.Label, "%s %s", b.Key, f.Key)
		}
		// Definitions survive JSON (how tenant templates are stored).
		raw, err := json.Marshal(b)
		require.NoError(t, err)
		var back template.Template
		require.NoError(t, json.Unmarshal(raw, &back))
		require.NoError(t, back.Check(), b.Key)
	}
	require.Equal(t, want, got)

	names := map[string]string{}
	for _, b := range template.Builtins() {
		names[b.Key] = b.Name
	}
	require.Equal(t, "面談記録", names[template.KeyInterview])
	require.Equal(t, "クレーム・提案", names[template.KeyClaim])
	require.Equal(t, "利用・会計", names[template.KeyUsage])
}

func TestBuiltinsAreFreshCopies(t *testing.T) {
	t.Parallel()
	a := template.Builtins()
	a[1].Fields[0].Options[0] = "改ざん"
	*a[4].Fields[0].Max = 1
	a[1].Fields = a[1].Fields[:1]
	b := template.Builtins()
	require.Equal(t, "A", b[1].Fields[0].Options[0])
	require.Equal(t, 1440.0, *b[4].Fields[0].Max)
	require.Greater(t, len(b[1].Fields), 1)
}

func TestBuiltinSales(t *testing.T) {
	t.Parallel()
	sales := template.Builtins()[1]
	require.Equal(t, template.KeySales, sales.Key)
	require.True(t, sales.Confidential)
	out, verr := sales.Validate(map[string]any{
		"probability": "A", "expected_amount": "1,500,000円", "expected_close_on": "令和8年12月25日",
	}, tokyo)
	require.Nil(t, verr)
	require.Equal(t, int64(1_500_000), out["expected_amount"])
	// One 進捗: the record's. Version 2 has no progress field of its own;
	// version 1 keeps it for the records written with it.
	require.Equal(t, 2, sales.Version)
	require.False(t, slices.ContainsFunc(sales.Fields, func(f template.Field) bool { return f.Label == "進捗" }))
	_, verr = sales.Validate(map[string]any{"stage": "提案"}, tokyo)
	require.NotNil(t, verr, "stage is no field of version 2")
	v1, err := template.BuiltinSource().Template(t.Context(), uuid.Nil, template.KeySales, 1)
	require.NoError(t, err)
	out, verr = v1.Validate(map[string]any{}, tokyo)
	require.Nil(t, verr)
	require.Equal(t, "初回接触", out["stage"]) // v1's default
}

func TestBuiltinDaily(t *testing.T) {
	t.Parallel()
	d := daily(t)
	out, verr := d.Validate(map[string]any{"work_minutes": "7時間30分", "visits": "３", "work_done": "ルート営業"}, tokyo)
	require.Nil(t, verr)
	require.Equal(t, int64(450), out["work_minutes"])
	require.Equal(t, int64(3), out["visits"])

	_, verr = d.Validate(map[string]any{"work_minutes": "25:00", "visits": -1}, tokyo)
	require.True(t, problems(t, verr).Has("fields.work_minutes", validation.CodeOutOfRange))
	require.True(t, problems(t, verr).Has("fields.visits", validation.CodeOutOfRange))
	require.True(t, problems(t, verr).Has("fields.work_done", validation.CodeRequired))
}

func TestCheck(t *testing.T) {
	t.Parallel()
	valid := func() template.Template {
		return template.Template{
			Key: "tenant:visit", Version: 1, Name: "訪問記録",
			Catalogs: []template.Catalog{{Key: "menu", Name: "メニュー", Items: []template.CatalogItem{
				{Key: "a", Name: "A", UnitPrice: 100, TaxRate: 10},
			}}},
			Fields: []template.Field{
				{Key: "minutes", Label: "時間", Type: template.FieldDuration, Min: template.Limit(0), Max: template.Limit(600)},
				{Key: "kind", Label: "種別", Type: template.FieldSelect, Options: []string{"訪問", "電話"}, Default: "訪問"},
				{Key: "items", Label: "明細", Type: template.FieldLines, Catalog: "menu"},
			},
			Aggregations: []template.Aggregation{{Key: "minutes", Label: "合計", Expr: "sum(.minutes)"}},
		}
	}
	require.NoError(t, valid().Check())

	tests := []struct {
		name   string
		change func(t *template.Template)
		field  string
		code   string
	}{
		{"key format", func(t *template.Template) { t.Key = "visit" }, "key", validation.CodeFormat},
		{"key upper case", func(t *template.Template) { t.Key = "tenant:Visit" }, "key", validation.CodeFormat},
		{"negative version", func(t *template.Template) { t.Version = -1 }, "version", validation.CodeOutOfRange},
		{"name required", func(t *template.Template) { t.Name = " " }, "name", validation.CodeRequired},
		{"tax rounding", func(t *template.Template) { t.TaxRounding = "banker" }, "tax_rounding", validation.CodeUnknown},
		{"field key format", func(t *template.Template) { t.Fields[0].Key = "作業時間" }, "fields[0].key", validation.CodeFormat},
		{"field key duplicate", func(t *template.Template) { t.Fields[1].Key = "minutes" }, "fields[1].key", validation.CodeDuplicate},
		{"label required", func(t *template.Template) { t.Fields[0].Label = "" }, "fields[0].label", validation.CodeRequired},
		{"type unknown", func(t *template.Template) { t.Fields[0].Type = "color" }, "fields[0].type", validation.CodeUnknown},
		{"options required", func(t *template.Template) { t.Fields[1].Options = nil; t.Fields[1].Default = nil }, "fields[1].options", validation.CodeRequired},
		{"option duplicate", func(t *template.Template) { t.Fields[1].Options = []string{"訪問", "訪問"} }, "fields[1].options[1]", validation.CodeDuplicate},
		{"option not clean", func(t *template.Template) { t.Fields[1].Options = []string{"訪問", " 電話"} }, "fields[1].options[1]", validation.CodeFormat},
		{"options not allowed", func(t *template.Template) { t.Fields[0].Options = []string{"a"} }, "fields[0].options", validation.CodeNotAllowed},
		{"min over max", func(t *template.Template) { t.Fields[0].Min = template.Limit(700) }, "fields[0].min", validation.CodeOutOfRange},
		{"negative duration bound", func(t *template.Template) { t.Fields[0].Min = template.Limit(-1) }, "fields[0].min", validation.CodeOutOfRange},
		{"fractional whole bound", func(t *template.Template) { t.Fields[0].Max = template.Limit(1.5) }, "fields[0].max", validation.CodeFormat},
		{"bounds not allowed", func(t *template.Template) { t.Fields[1].Max = template.Limit(1) }, "fields[1].max", validation.CodeNotAllowed},
		{"text max over limit", func(t *template.Template) {
			t.Fields = append(t.Fields, template.Field{Key: "t", Label: "t", Type: template.FieldText, Max: template.Limit(5000)})
		}, "fields[3].max", validation.CodeOutOfRange},
		{"default invalid", func(t *template.Template) { t.Fields[1].Default = "来店" }, "fields[1].default", validation.CodeUnknown},
		{"default out of range", func(t *template.Template) { t.Fields[0].Default = "12:00" }, "fields[0].default", validation.CodeOutOfRange},
		{"default for lines", func(t *template.Template) { t.Fields[2].Default = []any{} }, "fields[2].default", validation.CodeNotAllowed},
		{"unit not allowed", func(t *template.Template) { t.Fields[0].Unit = "分" }, "fields[0].unit", validation.CodeNotAllowed},
		{"catalog unknown", func(t *template.Template) { t.Fields[2].Catalog = "drinks" }, "fields[2].catalog", validation.CodeUnknown},
		{"catalog not allowed", func(t *template.Template) { t.Fields[0].Catalog = "menu" }, "fields[0].catalog", validation.CodeNotAllowed},
		{"tenant catalog on no lines", func(t *template.Template) { t.Fields[0].TenantCatalog = true }, "fields[0].tenant_catalog", validation.CodeNotAllowed},
		{"tenant catalog and a catalog", func(t *template.Template) { t.Fields[2].TenantCatalog = true }, "fields[2].tenant_catalog", validation.CodeNotAllowed},
		{"catalog item duplicate", func(t *template.Template) {
			t.Catalogs[0].Items = append(t.Catalogs[0].Items, t.Catalogs[0].Items[0])
		}, "catalogs[0].items[1].key", validation.CodeDuplicate},
		{"catalog tax rate", func(t *template.Template) { t.Catalogs[0].Items[0].TaxRate = 101 }, "catalogs[0].items[0].tax_rate", validation.CodeOutOfRange},
		{"aggregation key duplicate", func(t *template.Template) {
			t.Aggregations = append(t.Aggregations, template.Aggregation{Key: "minutes", Label: "x", Expr: "count()"})
		}, "aggregations[1].key", validation.CodeDuplicate},
		{"aggregation label", func(t *template.Template) { t.Aggregations[0].Label = "" }, "aggregations[0].label", validation.CodeRequired},
		{"computed in a tenant template", func(t *template.Template) { t.Computed = []string{"minutes"} }, "computed[0]", validation.CodeNotAllowed},
		{"computed unknown", func(t *template.Template) { t.Key = "care:visit"; t.Computed = []string{"units"} }, "computed[0]", validation.CodeUnknown},
		{"computed required", func(t *template.Template) {
			t.Key = "care:visit"
			t.Fields[0].Required = true
			t.Computed = []string{"minutes"}
		}, "computed[0]", validation.CodeNotAllowed},
		{"computed twice", func(t *template.Template) { t.Key = "care:visit"; t.Computed = []string{"minutes", "minutes"} }, "computed[1]", validation.CodeDuplicate},
		{"aggregation over a text field", func(t *template.Template) { t.Aggregations[0].Expr = "sum(.kind)" }, "aggregations[0].expr", validation.CodeFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tpl := valid()
			tc.change(&tpl)
			err := tpl.Check()
			require.ErrorIs(t, err, template.ErrInvalid)
			var verr *validation.Error
			require.True(t, errors.As(err, &verr))
			require.True(t, verr.Has(tc.field, tc.code), "got %v", verr)
		})
	}
}

func TestCheckDefaultsOfEveryKind(t *testing.T) {
	t.Parallel()
	tpl := template.Template{Key: "tenant:d", Name: "d", Fields: []template.Field{
		{Key: "on", Label: "日付", Type: template.FieldDate, Default: time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)},
		{Key: "era", Label: "和暦", Type: template.FieldDate, Default: "令和6年3月15日"},
		{Key: "tags", Label: "経路", Type: template.FieldMultiSelect, Options: []string{"電話", "来店"}, Default: []string{"来店"}},
		{Key: "minutes", Label: "時間", Type: template.FieldDuration, Default: "1:00"},
	}}
	require.NoError(t, tpl.Check())
	out, verr := tpl.Validate(nil, nil)
	require.Nil(t, verr)
	require.Equal(t, []string{"来店"}, out["tags"])
	require.Equal(t, int64(60), out["minutes"])
	require.Equal(t, out["on"], out["era"])

	tpl.Fields[1].Default = "平成31年5月1日"
	err := tpl.Check()
	var ve *validation.Error
	require.True(t, errors.As(err, &ve))
	require.True(t, ve.Has("fields[1].default", validation.CodeOutsideEra))
}

func TestCloneIsDeep(t *testing.T) {
	t.Parallel()
	tpl := daily(t)
	c := tpl.Clone()
	c.Fields[0].Label = "変更"
	*c.Fields[0].Max = 1
	c.Aggregations[0].Expr = "count()"
	require.Equal(t, "作業時間", tpl.Fields[0].Label)
	require.Equal(t, 1440.0, *tpl.Fields[0].Max)
	require.Equal(t, "sum(.work_minutes)", tpl.Aggregations[0].Expr)
}

func TestNamespace(t *testing.T) {
	t.Parallel()
	require.Equal(t, "builtin", template.Namespace("builtin:daily"))
	require.Equal(t, "careservice", template.Namespace("careservice:visit"))
	require.Equal(t, "", template.Namespace("daily"))
}
