// Package api serves the report engine over HTTP as routes of the JSON API
// (contactlog/api): mount them with Options.Extra, and they are served and
// documented in the OpenAPI document beside the built-in ones.
//
//	POST /v1/reports/aggregate         aggregate a template's records (AggregateRequest → report.Result)
//	POST /v1/reports/export            the same as CSV (?encoding=utf-8-bom|shift_jis), audited
//	GET  /v1/customers/{id}/charts     a customer's automatic charts of one template (?template=&limit=)
//
// SalesRoutes and CatalogRoutes serve the sales analyses, the expense
// calculation and the catalog.
//
// All need a staff principal; visibility is the engines' (the records a
// principal may see, in SQL).
package api

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	capi "github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/report"
	"github.com/kirokuhq/kiroku/report/chart"
)

// AggregateRequest is the body of the aggregate and export routes: a
// report.Query with the record filters of the records search.
type AggregateRequest struct {
	// Template is the template key. Required.
	Template string `json:"template"`
	// Aggregations are aggregation keys of the template; empty: all.
	Aggregations []string `json:"aggregations,omitempty"`
	// GroupBy: "" (one group), day, week, month, year, customer,
	// responder, author, field.
	GroupBy string `json:"group_by,omitempty"`
	// Field is the select field of GroupBy "field".
	Field string `json:"field,omitempty"`
	// From and To bound the records' time (from inclusive, to exclusive);
	// required for the periodic groupings.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// Lines is a lines field whose totals (net, tax, gross, per rate)
	// each group gets.
	Lines string `json:"lines,omitempty"`
	// Text, Customer, Responder, Mine, Progress and ImportantOnly filter
	// the records as the records search does.
	Text          string    `json:"text,omitempty"`
	Customer      uuid.UUID `json:"customer,omitzero"`
	Responder     uuid.UUID `json:"responder,omitzero"`
	Mine          bool      `json:"mine,omitempty"`
	Progress      []string  `json:"progress,omitempty"`
	ImportantOnly bool      `json:"important_only,omitempty"`
}

func (a AggregateRequest) query() report.Query {
	return report.Query{
		Template: a.Template, Aggregations: a.Aggregations, GroupBy: report.GroupBy(a.GroupBy), Field: a.Field,
		From: a.From, To: a.To, Lines: a.Lines,
		Filter: contactlog.Query{Text: a.Text, Customer: a.Customer, Responder: a.Responder, Mine: a.Mine,
			Progress: a.Progress, ImportantOnly: a.ImportantOnly},
	}
}

// Charts is the response of the customer charts route.
type Charts struct {
	Template        string                 `json:"template"`
	TemplateVersion int                    `json:"template_version"`
	TemplateName    string                 `json:"template_name"`
	Records         []report.HistoryRecord `json:"records"`
	Charts          []Chart                `json:"charts"`
}

// Chart is a chart.Spec in JSON: a missing value is null.
type Chart struct {
	Kind   string   `json:"kind"`
	Title  string   `json:"title"`
	Unit   string   `json:"unit,omitempty"`
	Labels []string `json:"labels"`
	Series []Series `json:"series"`
}

// Series is one named row of a Chart.
type Series struct {
	Name   string     `json:"name"`
	Values []*float64 `json:"values"`
}

func chartOf(s chart.Spec) Chart {
	c := Chart{Kind: string(s.Kind), Title: s.Title, Unit: s.Unit, Labels: s.Labels}
	for _, sr := range s.Series {
		out := Series{Name: sr.Name, Values: make([]*float64, len(sr.Values))}
		for i, v := range sr.Values {
			if !math.IsNaN(v) {
				out.Values[i] = &v
			}
		}
		c.Series = append(c.Series, out)
	}
	return c
}

// Routes returns the report routes over s, to pass as
// contactlog/api.Options.Extra.
func Routes(s *report.Service) []capi.Route {
	return []capi.Route{
		{ID: "aggregateReport", Tag: "reports", Summary: "Aggregate a template's records", Method: http.MethodPost,
			Path: "/v1/reports/aggregate", Request: AggregateRequest{}, Response: report.Result{}, Status: http.StatusOK,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				var in AggregateRequest
				if err := capi.DecodeJSON(w, r, &in); err != nil {
					return err
				}
				res, err := s.Aggregate(r.Context(), in.query())
				if err != nil {
					return err
				}
				return capi.WriteJSON(w, http.StatusOK, res)
			}},
		{ID: "exportReport", Tag: "reports", Summary: "Export an aggregation as CSV", Method: http.MethodPost,
			Path: "/v1/reports/export", Request: AggregateRequest{}, ResponseType: capi.MediaCSV, Status: http.StatusOK,
			Params: []capi.Param{encodingParam},
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				var in AggregateRequest
				if err := capi.DecodeJSON(w, r, &in); err != nil {
					return err
				}
				return capi.WriteCSV(w, r, "report.csv", func(out io.Writer, enc customer.Encoding) error {
					_, err := s.ExportCSV(r.Context(), out, in.query(), enc)
					return err
				})
			}},
		{ID: "customerCharts", Tag: "reports", Summary: "A customer's automatic charts of one template", Method: http.MethodGet,
			Path: "/v1/customers/{id}/charts", Response: Charts{}, Status: http.StatusOK,
			Params: []capi.Param{
				{Name: "id", In: "path", Type: "string", Description: "customer ID", Required: true},
				{Name: "template", In: "query", Type: "string", Description: "template key", Required: true},
				{Name: "limit", In: "query", Type: "integer", Description: fmt.Sprintf("latest records to chart (default %d, at most %d)", report.DefaultHistoryRecords, report.MaxHistoryRecords)},
			},
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				id, err := capi.PathID(r, "id")
				if err != nil {
					return err
				}
				limit := 0
				if v := r.URL.Query().Get("limit"); v != "" {
					if limit, err = strconv.Atoi(v); err != nil {
						var ve validation.Error
						ve.Add("limit", validation.CodeFormat, "")
						return ve.Err()
					}
				}
				h, err := s.CustomerCharts(r.Context(), id, r.URL.Query().Get("template"), limit)
				if err != nil {
					return err
				}
				out := Charts{Template: h.Template, TemplateVersion: h.TemplateVersion, TemplateName: h.TemplateName,
					Records: h.Records, Charts: make([]Chart, 0, len(h.Charts))}
				for _, c := range h.Charts {
					out.Charts = append(out.Charts, chartOf(c))
				}
				return capi.WriteJSON(w, http.StatusOK, out)
			}},
	}
}
