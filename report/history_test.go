package report_test

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/report"
	"github.com/kirokuhq/kiroku/report/chart"
)

func TestCustomerCharts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		for _, who := range []string{"staff", "b"} {
			ctx := f.users[who]
			page, err := f.svc.Search(ctx, contactlog.Query{Customer: f.custs[0], Templates: []string{template.KeyDaily}, Sort: contactlog.SortActual, Asc: true, Limit: 100})
			require.NoError(t, err)
			want := page.Records
			require.NotEmpty(t, want)

			h, err := f.rep.CustomerCharts(ctx, f.custs[0], template.KeyDaily, 0)
			require.NoError(t, err)
			require.Equal(t, "日報", h.TemplateName)
			require.Len(t, h.Records, len(want))
			for i, r := range want {
				require.Equal(t, r.ID, h.Records[i].ID, "oldest first")
				require.Equal(t, r.Time().In(tokyo).Format("1/2"), h.Records[i].Label)
			}
			// calls has no value anywhere: no chart.
			var titles []string
			for _, c := range h.Charts {
				titles = append(titles, c.Title)
				require.NoError(t, c.Validate())
			}
			require.Equal(t, []string{"作業時間", "訪問件数", "消費ポイント"}, titles)
			minutes := h.Charts[0]
			require.Equal(t, chart.Line, minutes.Kind)
			require.Equal(t, "分", minutes.Unit)
			for i, r := range want {
				x, _ := template.NumericValue(r.Values["work_minutes"])
				require.Equal(t, x, minutes.Series[0].Values[i])
				v, ok := template.NumericValue(r.Values["visits"])
				if !ok {
					require.True(t, math.IsNaN(h.Charts[1].Series[0].Values[i]))
				} else {
					require.Equal(t, v, h.Charts[1].Series[0].Values[i])
				}
			}
			var svg bytes.Buffer
			require.NoError(t, chart.SVG(&svg, minutes))
		}

		// Lines: net and tax stacked add up to the stored total.
		h, err := f.rep.CustomerCharts(f.users["admin"], f.custs[1], template.KeyUsage, 5)
		require.NoError(t, err)
		require.Len(t, h.Records, 5)
		require.Len(t, h.Charts, 1)
		c := h.Charts[0]
		require.Equal(t, chart.StackedBar, c.Kind)
		page, err := f.svc.Search(f.users["admin"], contactlog.Query{Customer: f.custs[1], Templates: []string{template.KeyUsage}, Sort: contactlog.SortActual, Limit: 5})
		require.NoError(t, err)
		for i, r := range page.Records {
			total, _ := template.NumericValue(r.Values["items"])
			j := len(page.Records) - 1 - i
			require.Equal(t, total, c.Series[0].Values[j]+c.Series[1].Values[j])
		}

		_, err = f.rep.CustomerCharts(f.users["staff"], f.custs[0], template.KeyDaily, report.MaxHistoryRecords+1)
		require.ErrorIs(t, err, report.ErrInvalid)
	})
}

// TestChartRecords: the charts of records the caller holds are of exactly
// those records, in their order — a PDF of one period charts that period,
// not the customer's latest records.
func TestChartRecords(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := f.users["staff"]
		page, err := f.svc.Search(ctx, contactlog.Query{Customer: f.custs[0], Templates: []string{template.KeyDaily}, Sort: contactlog.SortActual, Asc: true, Limit: 100})
		require.NoError(t, err)
		require.Greater(t, len(page.Records), 2)
		held := page.Records[:2] // the two oldest: not what CustomerCharts' latest would pick first

		h, err := f.rep.ChartRecords(ctx, template.KeyDaily, held)
		require.NoError(t, err)
		require.Len(t, h.Records, 2)
		for i, r := range held {
			require.Equal(t, r.ID, h.Records[i].ID)
		}
		require.NotEmpty(t, h.Charts)
		for _, c := range h.Charts {
			require.Len(t, c.Labels, 2)
		}
		minutes, _ := template.NumericValue(held[1].Values["work_minutes"])
		require.Equal(t, minutes, h.Charts[0].Series[0].Values[1])

		_, err = f.rep.ChartRecords(ctx, "", held)
		require.ErrorIs(t, err, report.ErrInvalid)
	})
}

func TestExportCSV(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := f.users["admin"]
		q := report.Query{Template: template.KeyUsage, GroupBy: report.ByField, Field: "payment", Aggregations: []string{"sales", "average_sale"},
			Filter: contactlog.Query{Text: "秘密の言葉"}}
		var buf bytes.Buffer
		n, err := f.rep.ExportCSV(ctx, &buf, q, customer.UTF8BOM)
		require.NoError(t, err)
		require.Zero(t, n, "the text filter matches nothing")
		require.Equal(t, "\ufeff支払方法,件数,売上合計(税込)(円),客単価(税込)(円)\r\n", buf.String())

		q.Filter.Text = ""
		buf.Reset()
		n, err = f.rep.ExportCSV(ctx, &buf, q, customer.UTF8BOM)
		require.NoError(t, err)
		res, err := f.rep.Aggregate(ctx, q)
		require.NoError(t, err)
		require.Equal(t, len(res.Groups), n)
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\r\n"), "\r\n")
		require.Len(t, lines, n+1)
		for i, g := range res.Groups {
			require.Equal(t, strings.Join([]string{g.Key, itoa(g.Count), itoa(g.Values[0].Int), g.Values[1].String()}, ","), lines[i+1])
		}

		entries, err := permission.AuditLog(ctx, db, permission.AuditQuery{ObjectType: "report"})
		require.NoError(t, err)
		require.Len(t, entries, 2)
		require.Equal(t, string(permission.ActionExport), entries[0].Action)
		require.NotContains(t, entries[1].Detail, "秘密", "search words stay out of the log")
		require.Contains(t, entries[1].Detail, "rows=0")

		// Line totals get their columns, per rate as stored.
		buf.Reset()
		q.Lines, q.Aggregations = "items", []string{"visits"}
		_, err = f.rep.ExportCSV(ctx, &buf, q, customer.UTF8BOM)
		require.NoError(t, err)
		res, err = f.rep.Aggregate(ctx, q)
		require.NoError(t, err)
		lines = strings.Split(strings.TrimSuffix(buf.String(), "\r\n"), "\r\n")
		require.Equal(t, "\ufeff支払方法,件数,利用件数(件),税抜(円),消費税(円),税込(円),8%対象(円),8%消費税(円),10%対象(円),10%消費税(円)", lines[0])
		g := res.Groups[0]
		require.Equal(t, strings.Join([]string{g.Key, itoa(g.Count), itoa(g.Count), itoa(g.Lines.Net), itoa(g.Lines.Tax), itoa(g.Lines.Gross),
			itoa(g.Lines.Rates[0].Base), itoa(g.Lines.Rates[0].Tax), itoa(g.Lines.Rates[1].Base), itoa(g.Lines.Rates[1].Tax)}, ","), lines[1])

		_, err = f.rep.ExportCSV(f.users["partner"], &buf, q, customer.UTF8BOM)
		require.ErrorIs(t, err, report.ErrPermissionDenied)
		_, err = f.rep.ExportCSV(ctx, &buf, q, "latin1")
		require.ErrorIs(t, err, report.ErrInvalid)
	})
}

func itoa(n int64) string { return report.Value{Valid: true, Exact: true, Int: n}.String() }
