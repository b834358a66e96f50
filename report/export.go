package report

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/csvio"
)

// ExportCSV computes q and writes the result as CSV in enc
// (customer.UTF8BOM by default, or customer.ShiftJIS, where characters it
// cannot hold become 〓): a header row — the grouping's name (期間, 顧客ID,
// 対応者ID, 作成者ID, the field's label, or 集計), 件数, then each aggregation's
// label with its unit in parentheses, and with Query.Lines 税抜, 消費税, 税込
// and the amount and tax of each rate — and one row per group. Exact values
// are written as integers, others with up to four decimals, no value as an
// empty cell; cells Excel would run as a formula are prefixed with '.
//
// Exporting needs the export right on record lists (permission.ActionExport,
// as contactlog.Service.Export), and every export is written to the audit
// log with the query and the number of rows, which it returns.
func (s *Service) ExportCSV(ctx context.Context, w io.Writer, q Query, enc customer.Encoding) (int, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return 0, err
	}
	if err := s.cfg.Authorizer.Check(ctx, pr, permission.ActionExport, &permission.RecordObject{Tenant: pr.Tenant}); err != nil {
		return 0, fmt.Errorf("report: export: %w", err)
	}
	e, ok := csvio.ByName(string(enc))
	if !ok {
		var v validation.Error
		v.Add("encoding", validation.CodeUnknown, string(enc))
		return 0, fmt.Errorf("report: export: %w", v.Err())
	}
	res, err := s.Aggregate(ctx, q)
	if err != nil {
		return 0, err
	}
	cw := csvio.NewWriter(w, e, &csvio.WriterOptions{FormulaGuard: true})
	header := []string{groupHeader(res), "件数"}
	for _, c := range res.Columns {
		h := c.Label
		if c.Unit != "" {
			h += "(" + c.Unit + ")"
		}
		header = append(header, h)
	}
	var rates []int
	if q.Lines != "" {
		header = append(header, "税抜(円)", "消費税(円)", "税込(円)")
		for _, g := range res.Groups {
			for _, rt := range g.Lines.Rates {
				if !slices.Contains(rates, rt.Rate) {
					rates = append(rates, rt.Rate)
				}
			}
		}
		slices.Sort(rates)
		for _, r := range rates {
			header = append(header, fmt.Sprintf("%d%%対象(円)", r), fmt.Sprintf("%d%%消費税(円)", r))
		}
	}
	if _, err := cw.Write(header); err != nil {
		return 0, fmt.Errorf("report: export: %w", err)
	}
	labels := res.Labels()
	for i, g := range res.Groups {
		row := []string{labels[i], strconv.FormatInt(g.Count, 10)}
		for _, v := range g.Values {
			row = append(row, v.String())
		}
		if g.Lines != nil {
			row = append(row, strconv.FormatInt(g.Lines.Net, 10), strconv.FormatInt(g.Lines.Tax, 10), strconv.FormatInt(g.Lines.Gross, 10))
			for _, r := range rates {
				var base, tax int64
				for _, rt := range g.Lines.Rates {
					if rt.Rate == r {
						base, tax = rt.Base, rt.Tax
					}
				}
				row = append(row, strconv.FormatInt(base, 10), strconv.FormatInt(tax, 10))
			}
		}
		if _, err := cw.Write(row); err != nil {
			return i, fmt.Errorf("report: export: %w", err)
		}
	}
	if err := cw.Flush(); err != nil {
		return len(res.Groups), fmt.Errorf("report: export: %w", err)
	}
	logged := q
	logged.Filter.Text = "" // the log holds no search words
	filter, err := json.Marshal(logged)
	if err != nil {
		return len(res.Groups), fmt.Errorf("report: export: %w", err)
	}
	detail := fmt.Sprintf("rows=%d query=%s", len(res.Groups), filter)
	if err := permission.Audit(ctx, s.db, pr, s.cfg.Clock().UTC(), string(permission.ActionExport), "report", uuid.Nil, detail); err != nil {
		return len(res.Groups), fmt.Errorf("report: export: %w", err)
	}
	return len(res.Groups), nil
}

func groupHeader(r *Result) string {
	switch r.GroupBy {
	case ByDay, ByWeek, ByMonth, ByYear:
		return "期間"
	case ByCustomer:
		return "顧客ID"
	case ByResponder:
		return "対応者ID"
	case ByAuthor:
		return "作成者ID"
	case ByField:
		return r.FieldLabel
	}
	return "集計"
}

// String formats v for tables and CSV: an exact value as an integer, others
// with up to four decimals, no value as "".
func (v Value) String() string {
	switch {
	case !v.Valid:
		return ""
	case v.Exact:
		return strconv.FormatInt(v.Int, 10)
	}
	return strconv.FormatFloat(math.Round(v.Float*1e4)/1e4, 'f', -1, 64)
}
