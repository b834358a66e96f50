package report

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/storage"
	"github.com/kirokuhq/kiroku/report/chart"
)

// Limits of CustomerCharts.
const (
	// DefaultHistoryRecords is how many of a customer's latest records
	// CustomerCharts charts when not told.
	DefaultHistoryRecords = 30
	// MaxHistoryRecords is the most it charts.
	MaxHistoryRecords = 100
)

// History is the automatic charts of one customer's records of one
// template (Maroud's 顧客履歴 with a template chosen).
type History struct {
	// Template, TemplateVersion and TemplateName identify the definition
	// whose fields were charted (the latest version).
	Template        string `json:"template"`
	TemplateVersion int    `json:"template_version"`
	TemplateName    string `json:"template_name"`
	// Records are the records charted, oldest first: the labels of every
	// chart, in order.
	Records []HistoryRecord `json:"records"`
	// Charts has one chart per numeric field with at least one value, in
	// the template's field order; render each with chart.SVG or chart.PNG
	// and its Table beside it. (Missing values are NaN, which JSON cannot
	// hold: report/api's Chart is the JSON form.)
	Charts []chart.Spec `json:"-"`
}

// HistoryRecord is one charted record.
type HistoryRecord struct {
	ID    uuid.UUID `json:"id"`
	Label string    `json:"label"` // its day in the tenant's zone, "4/1" (or "2026/4/1" when the records span years)
}

// CustomerCharts charts every numeric field of template over the latest
// limit records of one customer with that template that the principal may
// see (0: DefaultHistoryRecords; at most MaxHistoryRecords), oldest first —
// no configuration: number, integer, money (円) and duration (分) fields as
// lines, boolean fields as bars of 1 and 0, lines fields as stacked bars of
// the amount before tax and the tax, as stored on each record. Staff only.
func (s *Service) CustomerCharts(ctx context.Context, customer uuid.UUID, tmpl string, limit int) (*History, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !pr.IsStaff() {
		return nil, fmt.Errorf("report: customer charts: %w", ErrPermissionDenied)
	}
	var ve validation.Error
	if customer == uuid.Nil {
		ve.Add("customer", validation.CodeRequired, "")
	}
	if tmpl == "" {
		ve.Add("template", validation.CodeRequired, "")
	}
	if limit == 0 {
		limit = DefaultHistoryRecords
	}
	if limit < 0 || limit > MaxHistoryRecords {
		ve.Add("limit", validation.CodeOutOfRange, fmt.Sprintf("1..%d", MaxHistoryRecords))
	}
	if err := ve.Err(); err != nil {
		return nil, fmt.Errorf("report: customer charts: %w", err)
	}
	// Only what the charts show is read: the records' IDs, times and
	// values, in one query over the records the principal sees (the
	// page contactlog.Service.Search would return, without their people,
	// memos and scopes).
	sel, err := s.records.Matching(ctx, contactlog.Query{Customer: customer, Templates: []string{tmpl}})
	if err != nil {
		return nil, fmt.Errorf("report: customer charts: %w", err)
	}
	var recs []charted
	if err := sel.ColumnExpr("r.id, r.occurred_at, r.fields").
		OrderExpr("r.occurred_at DESC, r.id DESC").Limit(int64(limit)).Scan(ctx, &recs); err != nil {
		return nil, fmt.Errorf("report: customer charts: %w", storage.Err(err))
	}
	slices.Reverse(recs)
	h, err := s.chartRecords(ctx, pr, tmpl, recs)
	if err != nil {
		return nil, fmt.Errorf("report: customer charts: %w", err)
	}
	return h, nil
}

// charted is what a chart reads of a record.
type charted struct {
	ID     uuid.UUID      `bun:"id"`
	Time   time.Time      `bun:"occurred_at"`
	Values map[string]any `bun:"fields,type:jsonb"`
}

// ChartRecords charts every numeric field of template over records the
// caller already holds, in their order (oldest first), the same way as
// CustomerCharts: for a page or a PDF that has read a period of a
// customer's history and charts exactly those records. The records must be
// ones the principal read through the contact-record engine (it checks
// nothing about them). Staff only.
func (s *Service) ChartRecords(ctx context.Context, tmpl string, records []contactlog.Record) (*History, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !pr.IsStaff() {
		return nil, fmt.Errorf("report: chart records: %w", ErrPermissionDenied)
	}
	if tmpl == "" {
		var ve validation.Error
		ve.Add("template", validation.CodeRequired, "")
		return nil, fmt.Errorf("report: chart records: %w", ve.Err())
	}
	recs := make([]charted, len(records))
	for i := range records {
		recs[i] = charted{ID: records[i].ID, Time: records[i].Time(), Values: records[i].Values}
	}
	h, err := s.chartRecords(ctx, pr, tmpl, recs)
	if err != nil {
		return nil, fmt.Errorf("report: chart records: %w", err)
	}
	return h, nil
}

// chartRecords builds the History of recs (oldest first) with template's
// latest definition, labels in pr's zone.
func (s *Service) chartRecords(ctx context.Context, pr permission.Principal, tmpl string, recs []charted) (*History, error) {
	t, err := s.records.Template(ctx, tmpl, 0)
	if err != nil {
		return nil, err
	}
	h := &History{Template: t.Key, TemplateVersion: t.Version, TemplateName: t.Name, Records: make([]HistoryRecord, len(recs))}
	labels := make([]string, len(recs))
	loc := zone(pr)
	layout := "1/2"
	if len(recs) > 0 && recs[0].Time.In(loc).Year() != recs[len(recs)-1].Time.In(loc).Year() {
		layout = "2006/1/2"
	}
	for i := range recs {
		labels[i] = recs[i].Time.In(loc).Format(layout)
		h.Records[i] = HistoryRecord{ID: recs[i].ID, Label: labels[i]}
	}
	for _, f := range t.Fields {
		if !f.Type.Numeric() {
			continue
		}
		if spec, ok := fieldChart(f, recs, labels); ok {
			h.Charts = append(h.Charts, spec)
		}
	}
	return h, nil
}

// fieldChart is the chart of one field over recs; ok is false when no
// record has a value.
func fieldChart(f template.Field, recs []charted, labels []string) (chart.Spec, bool) {
	spec := chart.Spec{Kind: chart.Line, Title: f.Label, Labels: labels, Unit: f.Unit}
	seen := false
	if f.Type == template.FieldLines {
		net, tax := make([]float64, len(recs)), make([]float64, len(recs))
		for i := range recs {
			net[i], tax[i] = math.NaN(), math.NaN()
			if ls, ok := template.LinesOf(recs[i].Values[f.Key]); ok {
				net[i], tax[i], seen = float64(ls.Subtotal), float64(ls.Tax), true
			}
		}
		spec.Kind, spec.Unit = chart.StackedBar, "円"
		spec.Series = []chart.Series{{Name: "税抜", Values: net}, {Name: "消費税", Values: tax}}
		return spec, seen
	}
	values := make([]float64, len(recs))
	for i := range recs {
		values[i] = math.NaN()
		if x, ok := template.NumericValue(recs[i].Values[f.Key]); ok {
			values[i], seen = x, true
		}
	}
	switch f.Type {
	case template.FieldMoney:
		spec.Unit = "円"
	case template.FieldDuration:
		spec.Unit = "分"
	case template.FieldBoolean:
		spec.Kind = chart.Bar
	}
	spec.Series = []chart.Series{{Name: f.Label, Values: values}}
	return spec, seen
}
