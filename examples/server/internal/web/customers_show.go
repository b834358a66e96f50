package web

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/report/chart"
	"github.com/kirokuhq/kiroku/schedule"
)

// customerMonthLayout is the month parameter's format (?month=2024-03).
const customerMonthLayout = "2006-01"

// customerExcerptLen is how many characters of a memo the history shows.
const customerExcerptLen = 80

// customerHistoryItem is one record of the history timeline.
type customerHistoryItem struct {
	Record     contactlog.Record
	Template   string
	Responders []string
	Excerpt    string
	Files      int
	Planned    bool
}

// customerMonthLink is one month of the month list.
type customerMonthLink struct {
	Value, Label string
	Count        int
	Current      bool
}

// customerTemplateLink is one choice of the template filter.
type customerTemplateLink struct {
	Key, Label string
	Count      int
	Current    bool
}

type customerShowData struct {
	Customer  *customer.Customer
	Assignees []string
	Rank      string
	Fields    []customerFieldValue
	Status    contactlog.CustomerStatus
	Progress  string
	Lists     []customer.List
	Portal    portalPanel
	Files     customerFilesPanel
	// FileList is the list of Files drawn by the shared file_list partial.
	FileList fileList

	History   []customerHistoryItem
	Month     string // YYYY-MM in month mode
	MonthName string
	Template  string
	Latest    int // newest mode: how many are listed
	Older     string
	Newer     string
	NextQuery string
	Months    []customerMonthLink
	Templates []customerTemplateLink
	PDF       pdfDialog
	// Charts of the chosen template's numeric fields (Maroud).
	Charts []customerChart
	// Upcoming and Past are the customer's appointments (予定), for
	// staff: the next ones soonest first, the latest past ones.
	Upcoming, Past []schedule.Appointment
	Today          schedule.Date
	Loc            *time.Location
}

// Appointments on the customer page: how many upcoming and past ones.
const (
	customerUpcoming = 10
	customerPast     = 5
)

// customerChart is one automatic chart: the SVG as data: URLs (image
// documents, so the page's CSP, which forbids inline styles, does not apply
// to the chart's own), phone-sized and desktop-sized, and its values as a
// table.
type customerChart struct {
	Small, Large template.URL
	Alt          string
	Table        chart.Table
}

// The chart sizes: a phone shows Small at about its width, wider screens
// Large, two to a row.
const (
	chartSmallWidth, chartSmallHeight = 390, 260
	chartLargeWidth, chartLargeHeight = 640, 320
)

// customerFieldValue is a custom field's label and shown value.
type customerFieldValue struct{ Label, Value string }

func (u *UI) customerShow(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return u.showCustomer(w, r, http.StatusOK, id, customerFilesPanel{})
}

// showCustomer renders customer id's page with status and what in tells
// of a refused upload or change of its files (Problems, Renamed,
// TypedName, the upload box's Held files and UploadSet).
func (u *UI) showCustomer(w http.ResponseWriter, r *Request, status int, id uuid.UUID, in customerFilesPanel) error {
	ctx := r.Context()
	c, err := u.app.Customers.Get(ctx, id)
	if err != nil {
		return err
	}
	loc := r.loc()
	v := r.URL.Query()
	q := contactlog.TimelineQuery{Customer: id, Template: v.Get("template"), After: v.Get("after")}
	if m := v.Get("month"); m != "" {
		t, err := time.ParseInLocation(customerMonthLayout, m, loc)
		if err == nil {
			q.Month = t
		}
	}
	tl, err := u.app.Records.Timeline(ctx, q)
	if err != nil {
		return err
	}
	names, err := u.staffNamesOf(ctx, r.Principal.Tenant, c.Assignees, recordResponders(tl.Records))
	if err != nil {
		return err
	}
	labels := u.templateLabels(r)
	statuses, err := u.app.Records.CustomerStatuses(ctx, []uuid.UUID{id})
	if err != nil {
		return err
	}
	progress, err := u.customerMasterLabels(ctx, contactlog.MasterProgress)
	if err != nil {
		return err
	}
	ranks, err := u.app.Customers.Ranks(ctx)
	if err != nil {
		return err
	}
	fields, err := u.app.Customers.Fields(ctx)
	if err != nil {
		return err
	}
	lists, err := u.app.Customers.Lists(ctx)
	if err != nil {
		return err
	}
	panel, err := u.portalPanelOf(r, c)
	if err != nil {
		return err
	}
	files, err := u.customerFilesOf(r, c)
	if err != nil {
		return err
	}
	files.Problems, files.Renamed, files.TypedName, files.Held, files.UploadSet = in.Problems, in.Renamed, in.TypedName, in.Held, in.UploadSet
	d := customerShowData{Portal: panel, Files: files, FileList: customerFileList(c, files), Customer: c, Assignees: names.of(c.Assignees), Rank: c.Rank,
		Status: statuses[id], Progress: customerLabelOr(progress, statuses[id].Progress), Lists: lists,
		Template: q.Template, Latest: len(tl.Records)}
	for _, rk := range ranks {
		if rk.Code == c.Rank {
			d.Rank = rk.Label
		}
	}
	for _, fd := range fields {
		if x, ok := c.Custom[fd.Key]; ok {
			d.Fields = append(d.Fields, customerFieldValue{Label: fd.Label, Value: customerCustomText(x)})
		}
	}
	for _, rec := range tl.Records {
		memo := rec.PublicMemo
		if memo == "" {
			memo = rec.PrivateMemo
		}
		d.History = append(d.History, customerHistoryItem{Record: rec, Template: labels.label(rec.Template, rec.TemplateVersion),
			Responders: names.of(rec.Responders), Excerpt: customerExcerpt(memo),
			Files: len(rec.Attachments), Planned: rec.ActualAt.IsZero() && !rec.PlannedAt.IsZero()})
	}
	month := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format(customerMonthLayout)
	}
	d.Month, d.Older, d.Newer = month(tl.Month), month(tl.Older), month(tl.Newer)
	if !tl.Month.IsZero() {
		d.MonthName = tl.Month.In(loc).Format("2006年1月")
	}
	for _, mc := range tl.Months {
		val := month(mc.Month)
		d.Months = append(d.Months, customerMonthLink{Value: val, Label: mc.Month.In(loc).Format("2006年1月"),
			Count: mc.Count, Current: val == d.Month})
	}
	for _, tc := range tl.Templates {
		d.Templates = append(d.Templates, customerTemplateLink{Key: tc.Template,
			Label: labels.label(tc.Template, 0), Count: tc.Count, Current: tc.Template == q.Template})
	}
	if q.Template != "" {
		if d.Charts, err = u.customerCharts(r, id, q.Template); err != nil {
			return err
		}
	}
	if tl.Next != "" {
		nv := url.Values{}
		if d.Month != "" {
			nv.Set("month", d.Month)
		}
		if q.Template != "" {
			nv.Set("template", q.Template)
		}
		nv.Set("after", tl.Next)
		d.NextQuery = nv.Encode()
	}
	// The private-memo box for those who may read private memos: the
	// engine withholds the memos of the others' records.
	private := r.Principal.IsStaff() && (len(d.History) == 0 || !d.History[0].Record.PrivateMemoWithheld)
	d.PDF = newPDFDialog(r, d.Customer.ID, true, private)
	if q.Template != "" {
		d.PDF.Template = q.Template
		for _, tl := range d.Templates {
			if tl.Key == q.Template {
				d.PDF.TemplateLabel = tl.Label
			}
		}
	}
	d.Loc, d.Today = loc, schedule.DateOf(u.app.Clock().In(loc))
	if r.Principal.IsStaff() {
		if d.Upcoming, err = u.app.Schedule.CustomerAppointments(ctx, id, customerUpcoming); err != nil {
			return err
		}
		if d.Past, err = u.app.Schedule.CustomerPastAppointments(ctx, id, customerPast); err != nil {
			return err
		}
	}
	u.render(w, r.Request, r, status, "customers_show", d)
	return nil
}

// customerCharts renders the automatic charts of one template for the
// customer: each numeric field over the latest records, as SVG with its
// table.
func (u *UI) customerCharts(r *Request, id uuid.UUID, tmpl string) ([]customerChart, error) {
	h, err := u.app.Reports.CustomerCharts(r.Context(), id, tmpl, 0)
	if err != nil {
		return nil, err
	}
	svg := func(spec chart.Spec, w, h int) (template.URL, error) {
		spec.Width, spec.Height = w, h
		var b strings.Builder
		if err := chart.SVG(&b, spec); err != nil {
			return "", err
		}
		return template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(b.String()))), nil // #nosec G203 -- a data: URL of our own SVG
	}
	out := make([]customerChart, 0, len(h.Charts))
	for _, spec := range h.Charts {
		c := customerChart{Alt: spec.Title, Table: spec.Table()}
		if c.Small, err = svg(spec, chartSmallWidth, chartSmallHeight); err != nil {
			return nil, err
		}
		if c.Large, err = svg(spec, chartLargeWidth, chartLargeHeight); err != nil {
			return nil, err
		}
		c.Table.Columns[0] = msg.T("customers.chart_date")
		out = append(out, c)
	}
	return out, nil
}

func customerExcerpt(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= customerExcerptLen {
		return s
	}
	return string([]rune(s)[:customerExcerptLen]) + "…"
}

func customerCustomText(x any) string {
	switch x := x.(type) {
	case bool:
		if x {
			return msg.T("common.yes")
		}
		return msg.T("common.no")
	case nil:
		return ""
	}
	return fmt.Sprint(x)
}
