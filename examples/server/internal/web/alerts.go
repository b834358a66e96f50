package web

import (
	"errors"
	htmltemplate "html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/schedule"
)

// alertRoutes registers the recurring alert pages (MASPO アラート): the list
// searched by period and status with its CSV export, a customer's アラート
// tab, the alert form, and marking an occurrence done or writing its memo.
func (u *UI) alertRoutes(mux *http.ServeMux) {
	mux.Handle("GET /alerts", u.page(u.alertList))
	mux.Handle("GET /alerts/export", u.page(u.alertExport))
	mux.Handle("GET /alerts/new", u.page(u.alertNew))
	mux.Handle("POST /alerts/new", u.page(u.alertCreate))
	mux.Handle("GET /alerts/{id}/edit", u.page(u.alertEdit))
	mux.Handle("POST /alerts/{id}/edit", u.page(u.alertUpdate))
	mux.Handle("POST /alerts/{id}/delete", u.page(u.alertDelete))
	mux.Handle("POST /alerts/occurrences/{id}/done", u.page(u.occurrenceDone))
	mux.Handle("POST /alerts/occurrences/{id}/memo", u.page(u.occurrenceMemo))
	mux.Handle("GET /customers/{id}/alerts", u.page(u.customerAlerts))
}

// alertPeriods are the quick ranges of the search form, in its order.
var alertPeriods = []schedule.Period{schedule.LastWeek, schedule.ThisWeek, schedule.NextWeek,
	schedule.LastMonth, schedule.ThisMonth, schedule.NextMonth}

// alertListData is the alert list's data.
type alertListData struct {
	// V are the search parameters as given; Query them encoded without
	// the page, for the next page and the export links.
	V        url.Values
	Query    htmltemplate.URL
	Problems []string
	Periods  []schedule.Period
	Staff    []permission.User
	Rows     []schedule.Occurrence
	Next     string
	// From and To are the searched days (a quick range resolved).
	From, To schedule.Date
	// Overdue is the link to the occurrences due before today not done.
	Overdue htmltemplate.URL
	// Back is this page's address, where the row buttons come back to.
	Back string
}

// alertQuery reads the list's search parameters. With no status given
// the list shows 未通知, as MASPO's does; with no period or days, this
// month. Malformed values are named in the returned problems.
func alertQuery(v url.Values) (schedule.OccurrenceQuery, []string) {
	var problems []string
	q := schedule.OccurrenceQuery{Period: schedule.Period(v.Get("period")), After: v.Get("after")}
	switch s := v.Get("status"); s {
	case "":
		q.Status = schedule.StatusPending
	case "all":
		q.Status = schedule.StatusAll
	default:
		q.Status = schedule.Status(s)
	}
	for _, f := range []struct {
		name string
		d    *schedule.Date
	}{{"from", &q.From}, {"to", &q.To}} {
		if s := v.Get(f.name); s != "" {
			d, err := schedule.ParseDate(s)
			if err != nil {
				problems = append(problems, msg.T("alerts.bad_filter", msg.T("alerts.filter."+f.name)))
			}
			*f.d = d
		}
	}
	if q.Period == "" && q.From.IsZero() && q.To.IsZero() && len(problems) == 0 {
		q.Period = schedule.ThisMonth
	}
	switch v.Get("done") {
	case "yes":
		done := true
		q.Done = &done
	case "no":
		done := false
		q.Done = &done
	}
	if s := v.Get("assignee"); s != "" {
		id, err := uuid.Parse(s)
		if err != nil {
			problems = append(problems, msg.T("alerts.bad_filter", msg.T("alerts.filter.assignee")))
		}
		q.Assignee = id
	}
	return q, problems
}

// searchProblems turns the engine's validation error into the list's
// problems; other errors are returned.
func searchProblems(err error) ([]string, error) {
	var v *validation.Error
	if !errors.As(err, &v) {
		return nil, err
	}
	var out []string
	for _, fe := range v.Fields {
		out = append(out, msg.T("alerts.filter."+fe.Field)+"："+msg.Field(fe))
	}
	return out, nil
}

func (u *UI) alertList(w http.ResponseWriter, r *Request) error {
	v := r.URL.Query()
	d := alertListData{V: v, Periods: alertPeriods, Back: r.URL.RequestURI()}
	q, problems := alertQuery(v)
	d.Problems = problems
	staff, err := u.app.Staff.Users(r.Context(), r.Principal.Tenant)
	if err != nil {
		return err
	}
	d.Staff = staff
	loc := r.loc()
	today := schedule.DateOf(u.app.Clock().In(loc))
	d.Overdue = htmltemplate.URL(url.Values{"to": {today.AddDays(-1).String()}, "from": {today.AddDays(-365).String()},
		"status": {"all"}, "done": {"no"}}.Encode())
	keep := url.Values{}
	for k, vs := range v {
		if k != "after" {
			keep[k] = vs
		}
	}
	d.Query = htmltemplate.URL(keep.Encode())
	if len(d.Problems) == 0 {
		if q.Period != "" {
			d.From, d.To, _ = q.Period.Range(u.app.Clock(), loc)
		} else {
			d.From, d.To = q.From, q.To
		}
		page, err := u.app.Schedule.Occurrences(r.Context(), q)
		if err != nil {
			if d.Problems, err = searchProblems(err); err != nil {
				return err
			}
		} else {
			d.Rows, d.Next = page.Occurrences, page.Next
		}
	}
	u.render(w, r.Request, r, http.StatusOK, "alerts_index", d)
	return nil
}

func (u *UI) alertExport(w http.ResponseWriter, r *Request) error {
	q, problems := alertQuery(r.URL.Query())
	if len(problems) > 0 {
		return kerr.ErrInvalid
	}
	enc, _ := csvEncoding(r)
	out := &lazyCSV{w: w, name: u.exportName("alerts", r.Principal), sjis: enc == customer.ShiftJIS}
	_, err := u.app.Schedule.ExportOccurrences(r.Context(), out, q, enc)
	if err != nil && out.started {
		u.log.Error("alert export failed midway", "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}

// customerAlertsData is a customer's アラート tab.
type customerAlertsData struct {
	Customer *customer.Customer
	Alerts   []schedule.Alert
	Rows     []schedule.Occurrence
	Names    staffNames
	Back     string
	// More is set when the customer has more occurrences than shown.
	More bool
	// Drafts are memos the engine refused, by occurrence: their rows show
	// the typed text again with the reason.
	Drafts map[uuid.UUID]memoDraft
}

// memoDraft is a refused occurrence memo, kept for the user to fix.
type memoDraft struct {
	Text    string
	Problem string
	// Saved is the memo stored meanwhile by someone else when the refusal
	// was a stale version; the row's version is then the current one, so
	// saving again replaces it with Text.
	Saved    string
	Conflict bool
}

// customerAlertRows is how many occurrences the tab shows, newest first.
const customerAlertRows = 200

func (u *UI) customerAlerts(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return u.renderCustomerAlerts(w, r, http.StatusOK, id, r.URL.RequestURI(), nil, nil)
}

// renderCustomerAlerts renders a customer's アラート tab; shown, when not
// nil, is an occurrence that must be among the rows (it carries a draft).
func (u *UI) renderCustomerAlerts(w http.ResponseWriter, r *Request, status int, id uuid.UUID, back string, shown *schedule.Occurrence, drafts map[uuid.UUID]memoDraft) error {
	c, err := u.app.Customers.Get(r.Context(), id)
	if err != nil {
		return err
	}
	alerts, err := u.app.Schedule.CustomerAlerts(r.Context(), id)
	if err != nil {
		return err
	}
	page, err := u.app.Schedule.Occurrences(r.Context(), schedule.OccurrenceQuery{Customer: id, Newest: true, Limit: customerAlertRows})
	if err != nil {
		return err
	}
	rows := page.Occurrences
	if shown != nil && !slices.ContainsFunc(rows, func(o schedule.Occurrence) bool { return o.ID == shown.ID }) {
		rows = append([]schedule.Occurrence{*shown}, rows...)
	}
	doneBy := make([]uuid.UUID, 0, len(rows))
	for _, o := range rows {
		if o.Done {
			doneBy = append(doneBy, o.DoneBy)
		}
	}
	names, err := u.staffNamesOf(r.Context(), r.Principal.Tenant, doneBy)
	if err != nil {
		return err
	}
	u.render(w, r.Request, r, status, "alerts_customer", customerAlertsData{Customer: c, Alerts: alerts,
		Rows: rows, More: page.Next != "", Names: names, Back: back, Drafts: drafts})
	return nil
}

// alertFormData is the alert form's data.
type alertFormData struct {
	Form      *Form
	Customers []customerOption
	// Alert is the alert edited; nil for a new one.
	Alert *schedule.Alert
}

func (u *UI) alertNew(w http.ResponseWriter, r *Request) error {
	today := schedule.DateOf(u.app.Clock().In(r.loc()))
	f := NewForm(url.Values{"start": {today.String()}, "count": {"1"}, "every": {"1"}, "unit": {string(schedule.Months)}})
	if id, err := uuid.Parse(r.URL.Query().Get("customer")); err == nil {
		f.Values.Set("customer_id", id.String())
	}
	return u.renderAlertForm(w, r, http.StatusOK, f, nil, false)
}

func (u *UI) renderAlertForm(w http.ResponseWriter, r *Request, status int, f *Form, a *schedule.Alert, find bool) error {
	d := alertFormData{Form: f, Alert: a}
	if a == nil {
		var err error
		if d.Customers, err = u.customerOptions(r, f, find); err != nil {
			return err
		}
	}
	u.render(w, r.Request, r, status, "alerts_form", d)
	return nil
}

// alertInput reads the alert form; a malformed number or day is reported
// on f, naming the field.
func alertInput(f *Form) schedule.AlertInput {
	in := schedule.AlertInput{Title: f.Get("title"), Unit: schedule.Unit(f.Get("unit"))}
	if s := f.Get("customer_id"); s != "" {
		id, err := uuid.Parse(s)
		if err != nil {
			f.Add("customer_id", msg.T("code."+validation.CodeInvalidUUID))
		}
		in.Customer = id
	}
	if s := f.Get("start"); s != "" {
		d, err := schedule.ParseDate(s)
		if err != nil {
			f.Add("start", msg.T("code."+validation.CodeBadDate))
		}
		in.Start = d
	}
	for _, n := range []struct {
		field string
		to    *int
	}{{"count", &in.Count}, {"every", &in.Every}} {
		s := strings.TrimSpace(f.Get(n.field))
		if s == "" {
			continue
		}
		i, err := strconv.Atoi(s)
		if err != nil {
			f.Add(n.field, msg.T("code."+validation.CodeFormat))
		}
		*n.to = i
	}
	return in
}

func (u *UI) alertCreate(w http.ResponseWriter, r *Request) error {
	f := NewForm(r.PostForm)
	if r.PostFormValue("op") == opFind {
		return u.renderAlertForm(w, r, http.StatusOK, f, nil, true)
	}
	in := alertInput(f)
	if !f.Valid() {
		return u.renderAlertForm(w, r, http.StatusUnprocessableEntity, f, nil, false)
	}
	a, err := u.app.Schedule.CreateAlert(r.Context(), in)
	if f.AddError(err, map[string]string{"customer": "customer_id"}) {
		return u.renderAlertForm(w, r, http.StatusUnprocessableEntity, f, nil, false)
	}
	if err != nil {
		return err
	}
	redirect(w, r.Request, "/customers/"+a.Customer.String()+"/alerts", "alerts.created")
	return nil
}

func (u *UI) alertOf(r *Request) (*schedule.Alert, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return u.app.Schedule.Alert(r.Context(), id)
}

func (u *UI) alertEdit(w http.ResponseWriter, r *Request) error {
	a, err := u.alertOf(r)
	if err != nil {
		return err
	}
	f := NewForm(url.Values{"title": {a.Title}, "start": {a.Start.String()}, "count": {strconv.Itoa(a.Count)},
		"every": {strconv.Itoa(a.Every)}, "unit": {string(a.Unit)}, "version": {strconv.FormatInt(a.Version, 10)}})
	return u.renderAlertForm(w, r, http.StatusOK, f, a, false)
}

func (u *UI) alertUpdate(w http.ResponseWriter, r *Request) error {
	a, err := u.alertOf(r)
	if err != nil {
		return err
	}
	f := NewForm(r.PostForm)
	version, err := strconv.ParseInt(f.Get("version"), 10, 64)
	if err != nil {
		return kerr.ErrInvalid
	}
	in := alertInput(f)
	in.Customer = a.Customer
	if !f.Valid() {
		return u.renderAlertForm(w, r, http.StatusUnprocessableEntity, f, a, false)
	}
	_, err = u.app.Schedule.UpdateAlert(r.Context(), a.ID, version, in)
	if f.AddError(err, nil) {
		return u.renderAlertForm(w, r, http.StatusUnprocessableEntity, f, a, false)
	}
	if err != nil {
		return err
	}
	redirect(w, r.Request, "/customers/"+a.Customer.String()+"/alerts", "common.saved")
	return nil
}

func (u *UI) alertDelete(w http.ResponseWriter, r *Request) error {
	a, err := u.alertOf(r)
	if err != nil {
		return err
	}
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil {
		return kerr.ErrInvalid
	}
	if err := u.app.Schedule.DeleteAlert(r.Context(), a.ID, version); err != nil {
		return err
	}
	redirect(w, r.Request, "/customers/"+a.Customer.String()+"/alerts", "common.deleted")
	return nil
}

// occurrenceTarget reads an occurrence button's path ID, version and the
// page to come back to (a path of this site only).
func occurrenceTarget(r *Request) (uuid.UUID, int64, string, error) {
	id, err := pathID(r)
	if err != nil {
		return uuid.Nil, 0, "", err
	}
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil {
		return uuid.Nil, 0, "", kerr.ErrInvalid
	}
	back := r.PostFormValue("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.Contains(back, "\\") {
		back = "/alerts"
	}
	return id, version, back, nil
}

func (u *UI) occurrenceDone(w http.ResponseWriter, r *Request) error {
	id, version, back, err := occurrenceTarget(r)
	if err != nil {
		return err
	}
	done := r.PostFormValue("done") == "1"
	if _, err := u.app.Schedule.SetDone(r.Context(), id, version, done); err != nil {
		return err
	}
	key := "alerts.undone"
	if done {
		key = "alerts.done"
	}
	redirect(w, r.Request, back, key)
	return nil
}

func (u *UI) occurrenceMemo(w http.ResponseWriter, r *Request) error {
	id, version, back, err := occurrenceTarget(r)
	if err != nil {
		return err
	}
	memo := r.PostFormValue("memo")
	_, err = u.app.Schedule.SetMemo(r.Context(), id, version, memo)
	var ve *validation.Error
	conflict := errors.Is(err, kerr.ErrConflict)
	if !conflict && !errors.As(err, &ve) {
		if err != nil {
			return err
		}
		redirect(w, r.Request, back, "common.saved")
		return nil
	}
	// Refused: the customer's tab again, the typed memo in its row with the
	// reason, and on a stale version the memo saved meanwhile beside it.
	o, err := u.app.Schedule.Occurrence(r.Context(), id)
	if err != nil {
		return err
	}
	d := memoDraft{Text: memo, Conflict: conflict}
	status := http.StatusConflict
	if conflict {
		d.Problem, d.Saved = msg.T("alerts.memo_conflict"), o.Memo
	} else {
		d.Problem, status = msg.T("alerts.memo_problem", msg.Field(ve.Fields[0])), http.StatusUnprocessableEntity
	}
	if !strings.HasPrefix(back, "/customers/") {
		back = "/customers/" + o.Customer.String() + "/alerts"
	}
	return u.renderCustomerAlerts(w, r, status, o.Customer, back, o, map[uuid.UUID]memoDraft{o.ID: d})
}
