package report_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/report"
)

// Records written with an older version of a template count as their own
// version defines their fields: a field that was text then is no value, a
// number that became an integer is read as a number.
func TestAggregateReadsEachRecordsVersion(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		admin := f.users["admin"]
		store, err := template.NewStore(db, nil)
		require.NoError(t, err)
		v1 := template.Template{Key: "tenant:visit", Name: "訪問", Fields: []template.Field{
			{Key: "amount", Label: "金額メモ", Type: template.FieldText},
			{Key: "minutes", Label: "作業時間", Type: template.FieldNumber},
		}, Aggregations: []template.Aggregation{{Key: "minutes", Label: "作業時間", Expr: "sum(.minutes)"}}}
		saved, err := store.Save(admin, v1)
		require.NoError(t, err)
		at := time.Date(2026, 4, 2, 10, 0, 0, 0, tokyo)
		for _, v := range []map[string]any{{"amount": "千円", "minutes": 12.5}, {"amount": "1500", "minutes": 30}} {
			_, err := f.svc.Create(admin, contactlog.Entry{Template: "tenant:visit", Customer: f.custs[0], ActualAt: at, Values: v})
			require.NoError(t, err)
		}
		v2 := template.Template{Key: "tenant:visit", Version: saved.Version, Name: "訪問", Fields: []template.Field{
			{Key: "amount", Label: "金額", Type: template.FieldMoney},
			{Key: "minutes", Label: "作業時間", Type: template.FieldInteger},
		}, Aggregations: []template.Aggregation{
			{Key: "total", Label: "金額合計", Expr: "sum(.amount)"},
			{Key: "with_amount", Label: "金額あり", Expr: "count(.amount)"},
			{Key: "minutes", Label: "作業時間", Expr: "sum(.minutes)"},
			{Key: "avg_minutes", Label: "平均", Expr: "avg(.minutes)"},
			{Key: "per_record", Label: "1件あたり", Expr: "sum(.amount) / count()"},
		}}
		saved, err = store.Save(admin, v2)
		require.NoError(t, err)
		require.Equal(t, 2, saved.Version)
		for _, v := range []map[string]any{{"amount": 1000, "minutes": 20}, {"amount": "2,500円", "minutes": 40}} {
			_, err := f.svc.Create(admin, contactlog.Entry{Template: "tenant:visit", Customer: f.custs[0], ActualAt: at, Values: v})
			require.NoError(t, err)
		}
		res, err := f.rep.Aggregate(admin, report.Query{Template: "tenant:visit"})
		require.NoError(t, err)
		require.Equal(t, 2, res.TemplateVersion)
		g := res.Groups[0]
		require.Equal(t, int64(4), g.Count)
		// The v1 texts "千円" and "1500" are not amounts: 1000 + 2500.
		require.Equal(t, report.Value{Valid: true, Exact: true, Int: 3500, Float: 3500}, g.Values[0])
		require.Equal(t, report.Value{Valid: true, Exact: true, Int: 2, Float: 2}, g.Values[1])
		// 12.5 + 30 + 20 + 40, not exact: v1 held a number.
		require.Equal(t, report.Value{Valid: true, Float: 102.5}, g.Values[2])
		require.InDelta(t, 25.625, g.Values[3].Float, 1e-9)
		require.InDelta(t, 875, g.Values[4].Float, 1e-9)
		require.False(t, res.Columns[4].PushedDown)
	})
}
