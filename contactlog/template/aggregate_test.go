package template_test

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/validation"
)

func daily(t *testing.T) template.Template {
	t.Helper()
	for _, b := range template.Builtins() {
		if b.Key == template.KeyDaily {
			return b
		}
	}
	t.Fatal("no builtin:daily")
	return template.Template{}
}

func TestAggregationCompileErrors(t *testing.T) {
	t.Parallel()
	tpl := daily(t)
	tests := []struct {
		expr string
		want template.ExprError
	}{
		{"sum(.nope)", template.ExprError{Line: 1, Column: 5, Message: "unknown field .nope"}},
		{"sum(.work_done)", template.ExprError{Line: 1, Column: 5, Message: "field .work_done (longtext) is not numeric"}},
		{"sum(.work_minutes) /\n  avg(.plan)", template.ExprError{Line: 2, Column: 7, Message: "field .plan (longtext) is not numeric"}},
		{"sum(.work_minutes", template.ExprError{Line: 1, Column: 17, Message: "unexpected token EOF"}}, // expr points at the last character
		{"sum(.work_minutes) +\n  visits", template.ExprError{Line: 2, Column: 3, Message: "unknown name visits"}},
		{"sum(1)", template.ExprError{Line: 1, Column: 5, Message: "cannot use int as argument (type []float64) to call sum "}},
		{"count(.visits, .calls)", template.ExprError{Line: 1, Column: 16, Message: "count takes at most one field"}},
		{"sum(.visits) > 3", template.ExprError{Line: 1, Column: 1, Message: "expected float64, but got bool"}},
		{"sum(.visits) ＋ 1", template.ExprError{Line: 1, Column: 14}},
		{`"合計"`, template.ExprError{Line: 1, Column: 1, Message: "expected float64, but got string"}},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			t.Parallel()
			_, err := tpl.CompileAggregation(template.Aggregation{Key: "x", Label: "x", Expr: tc.expr})
			require.Error(t, err)
			var ee *template.ExprError
			require.True(t, errors.As(err, &ee), "%T %v", err, err)
			require.Equal(t, tc.want.Line, ee.Line, ee.Error())
			require.Equal(t, tc.want.Column, ee.Column, ee.Error())
			if tc.want.Message != "" {
				require.Equal(t, tc.want.Message, ee.Message)
			}
		})
	}
}

func TestCheckReportsAggregationPosition(t *testing.T) {
	t.Parallel()
	tpl := daily(t)
	tpl.Aggregations = append(tpl.Aggregations,
		template.Aggregation{Key: "bad", Label: "壊れた式", Expr: "sum(.work_minutes) / cnt()"},
		template.Aggregation{Key: "empty", Label: "空", Expr: " "},
	)
	err := tpl.Check()
	require.ErrorIs(t, err, template.ErrInvalid)
	var verr *validation.Error
	require.True(t, errors.As(err, &verr))
	n := len(tpl.Aggregations)
	require.Equal(t, []validation.FieldError{
		{Field: "aggregations[" + itoa(n-2) + "].expr", Code: validation.CodeFormat, Param: "unknown name cnt (1:22)"},
		{Field: "aggregations[" + itoa(n-1) + "].expr", Code: validation.CodeRequired},
	}, verr.Fields)
}

func itoa(i int) string { return string(rune('0' + i)) }

func TestAggregationEval(t *testing.T) {
	t.Parallel()
	tpl := daily(t)
	nan := math.NaN()
	// Four reports; the third has no visits, the fourth no points.
	cols := map[string][]float64{
		"work_minutes": {480, 300, 450, 90},
		"visits":       {3, 2, nan, 1},
		"points_used":  {1.5, 2, 0.5, nan},
	}
	tests := []struct {
		expr string
		want float64
	}{
		{"sum(.work_minutes)", 1320},
		{"sum(.work_minutes) / 60", 22},
		{"avg(.work_minutes)", 330},
		{"min(.work_minutes)", 90},
		{"max(.work_minutes)", 480},
		{"count()", 4},
		{"count(.visits)", 3},
		{"sum(.visits) / count()", 1.5},
		{"avg(.visits)", 2},
		{"sum(.points_used)", 4},
		{"count(.visits) > 0 ? avg(.visits) : 0", 2},
		{"round(avg(.points_used) * 10) / 10", 1.3},
		{"1", 1},
	}
	for _, tc := range tests {
		c, err := tpl.CompileAggregation(template.Aggregation{Key: "x", Label: "x", Expr: tc.expr})
		require.NoError(t, err, tc.expr)
		got, err := c.Eval(cols)
		require.NoError(t, err, tc.expr)
		require.InDelta(t, tc.want, got, 1e-9, tc.expr)
	}

	// No records: sums are 0, means NaN.
	c, err := tpl.CompileAggregation(template.Aggregation{Key: "x", Label: "x", Expr: "sum(.visits)"})
	require.NoError(t, err)
	got, err := c.Eval(nil)
	require.NoError(t, err)
	require.Equal(t, 0.0, got)
	c, err = tpl.CompileAggregation(template.Aggregation{Key: "x", Label: "x", Expr: "avg(.visits)"})
	require.NoError(t, err)
	got, err = c.Eval(map[string][]float64{})
	require.NoError(t, err)
	require.True(t, math.IsNaN(got))

	// count() with EvalN when no column is needed.
	c, err = tpl.CompileAggregation(template.Aggregation{Key: "x", Label: "x", Expr: "count()"})
	require.NoError(t, err)
	got, err = c.EvalN(7, nil)
	require.NoError(t, err)
	require.Equal(t, 7.0, got)

	// Columns of different lengths are a caller bug.
	_, err = c.Eval(map[string][]float64{"visits": {1}, "calls": {1, 2}})
	require.Error(t, err)
}

func TestAggregationSimpleAndFields(t *testing.T) {
	t.Parallel()
	tpl := daily(t)
	tpl.Fields = append(tpl.Fields, template.Field{Key: "careservice:minutes", Label: "介護時間", Type: template.FieldDuration})
	require.NoError(t, tpl.Check())
	tests := []struct {
		expr      string
		fn, field string
		ok        bool
		fields    []string
	}{
		{"sum(.work_minutes)", "sum", "work_minutes", true, []string{"work_minutes"}},
		{" avg( .visits ) ", "avg", "visits", true, []string{"visits"}},
		{"min(.points_used)", "min", "points_used", true, []string{"points_used"}},
		{"max(.calls)", "max", "calls", true, []string{"calls"}},
		{"count()", "count", "", true, nil},
		{"count(.visits)", "count", "visits", true, []string{"visits"}},
		{"sum(.careservice:minutes)", "sum", "careservice:minutes", true, []string{"careservice:minutes"}},
		{"sum(.visits) / count()", "", "", false, []string{"visits"}},
		{"sum(.calls) + sum(.visits)", "", "", false, []string{"visits", "calls"}},
		{"sum(.work_minutes) / 60", "", "", false, []string{"work_minutes"}},
		{"count(.visits) > 0 ? sum(.careservice:minutes):0", "", "", false, []string{"visits", "careservice:minutes"}},
	}
	for _, tc := range tests {
		c, err := tpl.CompileAggregation(template.Aggregation{Key: "x", Label: "x", Expr: tc.expr})
		require.NoError(t, err, tc.expr)
		fn, field, ok := c.Simple()
		require.Equal(t, tc.ok, ok, tc.expr)
		require.Equal(t, tc.fn, fn, tc.expr)
		require.Equal(t, tc.field, field, tc.expr)
		require.Equal(t, tc.fields, c.Fields(), tc.expr)
	}
}

func TestColumnsFromRecords(t *testing.T) {
	t.Parallel()
	usage := template.Builtins()[5]
	var records []map[string]any
	for _, price := range []int{1000, 2000} {
		out, verr := usage.Validate(map[string]any{"items": []any{
			map[string]any{"name": "もみほぐし", "quantity": 1, "unit_price": price, "tax_rate": 10},
		}}, tokyo)
		require.Nil(t, verr)
		records = append(records, out)
	}
	records = append(records, map[string]any{}) // a record without items
	cols := usage.Columns(records)
	require.Equal(t, []string{"items"}, keys(cols))
	require.Equal(t, []float64{1100, 2200}, cols["items"][:2])
	require.True(t, math.IsNaN(cols["items"][2]))

	aggs, err := usage.CompileAggregations()
	require.NoError(t, err)
	want := map[string]float64{"sales": 3300, "average_sale": 1650, "visits": 3}
	for _, a := range aggs {
		got, err := a.Eval(cols)
		require.NoError(t, err)
		require.Equal(t, want[a.Key], got, a.Key)
	}

	// Booleans count as 1 and 0; values read back from JSON work too.
	for in, want := range map[any]float64{true: 1, false: 0, 12.5: 12.5, int64(3): 3} {
		got, ok := template.NumericValue(in)
		require.True(t, ok)
		require.Equal(t, want, got)
	}
	got, ok := template.NumericValue(map[string]any{"total": 1918.0})
	require.True(t, ok)
	require.Equal(t, 1918.0, got)
	_, ok = template.NumericValue("12")
	require.False(t, ok)
	_, ok = template.NumericValue(nil)
	require.False(t, ok)
}

func keys(m map[string][]float64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
