package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/schedule"
)

// requestRoutes registers the pages of requests to colleagues and tasks
// (依頼・課題): the received and sent lists, a new request, a request with
// its replies, its status.
func (u *UI) requestRoutes(mux *http.ServeMux) {
	mux.Handle("GET /requests", u.page(u.requestList))
	mux.Handle("GET /requests/new", u.page(u.requestNew))
	mux.Handle("POST /requests/new", u.page(u.requestCreate))
	mux.Handle("GET /requests/{id}", u.page(u.requestShow))
	mux.Handle("POST /requests/{id}/status", u.page(u.requestStatus))
	mux.Handle("POST /requests/{id}/reply", u.page(u.requestReply))
}

// requestStatuses are the statuses in their order on the pages.
var requestStatuses = []schedule.RequestStatus{schedule.RequestOpen, schedule.RequestInProgress, schedule.RequestDone}

// requestListData is the data of a list of requests.
type requestListData struct {
	Box      schedule.RequestBox
	Open     bool
	Requests []requestItem
	Today    schedule.Date
	Loc      *time.Location
}

// requestItem is a request of a list, with its people's names.
type requestItem struct {
	schedule.Request
	From, To string
}

// requestList lists the requests received ("box" received, the default)
// or sent, all or only those not done ("open").
func (u *UI) requestList(w http.ResponseWriter, r *Request) error {
	q := r.URL.Query()
	d := requestListData{Box: schedule.Received, Open: q.Get("open") == "1",
		Today: schedule.DateOf(u.app.Clock().In(r.loc())), Loc: r.loc()}
	if q.Get("box") == string(schedule.Sent) {
		d.Box = schedule.Sent
	}
	var err error
	if d.Requests, err = u.requestItems(r, schedule.RequestQuery{Box: d.Box, Open: d.Open}, nil); err != nil {
		return err
	}
	u.render(w, r.Request, r, http.StatusOK, "requests_list", d)
	return nil
}

// requestItems lists the principal's requests of q with their people's
// names. The names come from names
// when the page has them, else they are looked up for the requests listed.
func (u *UI) requestItems(r *Request, q schedule.RequestQuery, names staffNames) ([]requestItem, error) {
	reqs, err := u.app.Schedule.Requests(r.Context(), q)
	if err != nil {
		return nil, err
	}
	if names == nil {
		people := make([]uuid.UUID, 0, 2*len(reqs))
		for _, q := range reqs {
			people = append(append(people, q.Author), q.To...)
		}
		if names, err = u.staffNamesOf(r.Context(), r.Principal.Tenant, people); err != nil {
			return nil, err
		}
	}
	items := make([]requestItem, 0, len(reqs))
	for _, q := range reqs {
		items = append(items, requestItem{Request: q, From: names[q.Author], To: names.joined(q.To)})
	}
	return items, nil
}

// requestFormData is the data of the new request's form.
type requestFormData struct {
	Form *Form
	// Staff are the active colleagues who may receive it.
	Staff []permission.User
	// RecordName names the record the request is about, if any.
	RecordName string
}

// requestNew shows the form of a request, about the record a link names
// ("record").
func (u *UI) requestNew(w http.ResponseWriter, r *Request) error {
	f := NewForm(nil)
	if id, err := uuid.Parse(r.URL.Query().Get("record")); err == nil {
		f.Values.Set("record", id.String())
	}
	return u.renderRequestForm(w, r, http.StatusOK, f)
}

// requestCreate sends a request (or records a task when no one is
// chosen); a refused one comes back with everything typed.
func (u *UI) requestCreate(w http.ResponseWriter, r *Request) error {
	f := NewForm(r.PostForm)
	in := schedule.RequestInput{Title: f.Get("title"), Body: f.Get("body"), To: peopleIDs(f, "to")}
	if s := strings.TrimSpace(f.Get("due")); s != "" {
		due, err := schedule.ParseDate(s)
		if err != nil {
			f.Add("due", msg.T("code."+validation.CodeBadDate))
		}
		in.Due = due
	}
	if s := f.Get("record"); s != "" {
		id, err := uuid.Parse(s)
		if err != nil {
			return kerr.ErrInvalid
		}
		in.Record = id
	}
	if !f.Valid() {
		f.Message = msg.T("common.form_errors")
		return u.renderRequestForm(w, r, http.StatusUnprocessableEntity, f)
	}
	req, err := u.app.Schedule.CreateRequest(r.Context(), in)
	if f.AddError(err, nil) {
		return u.renderRequestForm(w, r, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	flash := "requests.sent"
	if req.Task {
		flash = "requests.task_saved"
	}
	redirect(w, r.Request, "/requests/"+req.ID.String(), flash)
	return nil
}

func (u *UI) renderRequestForm(w http.ResponseWriter, r *Request, status int, f *Form) error {
	ctx := r.Context()
	users, err := u.app.Staff.Users(ctx, r.Principal.Tenant)
	if err != nil {
		return err
	}
	d := requestFormData{Form: f}
	for _, us := range users {
		if us.Active && us.ID != r.Principal.User {
			d.Staff = append(d.Staff, us)
		}
	}
	if id, err := uuid.Parse(f.Get("record")); err == nil {
		if d.RecordName, err = u.recordName(r, id); err != nil {
			return err
		}
	}
	u.render(w, r.Request, r, status, "requests_form", d)
	return nil
}

// recordName names a record the principal sees by its customer and time.
func (u *UI) recordName(r *Request, id uuid.UUID) (string, error) {
	rec, err := u.app.Records.Get(r.Context(), id)
	if err != nil {
		return "", err
	}
	name := msg.T("records.draft")
	if rec.Customer != uuid.Nil {
		names, err := u.app.Customers.Names(r.Context(), []uuid.UUID{rec.Customer})
		if err != nil {
			return "", err
		}
		name = names[rec.Customer]
	}
	at := rec.ActualAt
	if at.IsZero() {
		at = rec.PlannedAt
	}
	if at.IsZero() {
		return name, nil
	}
	return name + " " + at.In(r.loc()).Format("2006/01/02 15:04"), nil
}

// requestShowData is the data of a request's page.
type requestShowData struct {
	Request    *schedule.Request
	Names      staffNames
	To         string
	RecordName string
	Statuses   []schedule.RequestStatus
	// Reply is the reply form, with what was typed after a refusal.
	Reply *Form
	Loc   *time.Location
}

// requestShow is a request's page: what was asked, of whom, its status
// and replies.
func (u *UI) requestShow(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return u.renderRequestPage(w, r, http.StatusOK, id, NewForm(nil))
}

func (u *UI) renderRequestPage(w http.ResponseWriter, r *Request, status int, id uuid.UUID, reply *Form) error {
	ctx := r.Context()
	req, err := u.app.Schedule.Request(ctx, id)
	if err != nil {
		return err
	}
	d := requestShowData{Request: req, Statuses: requestStatuses, Reply: reply, Loc: r.loc()}
	people := append([]uuid.UUID{req.Author}, req.To...)
	for _, rep := range req.Replies {
		people = append(people, rep.Author)
	}
	if d.Names, err = u.staffNamesOf(ctx, r.Principal.Tenant, people); err != nil {
		return err
	}
	d.To = d.Names.joined(req.To)
	if req.Record != uuid.Nil {
		d.RecordName, err = u.recordName(r, req.Record)
		if err != nil && !errors.Is(err, kerr.ErrNotFound) {
			return err
		}
	}
	u.render(w, r.Request, r, status, "requests_show", d)
	return nil
}

// requestStatus moves a request ("status", based on "version").
func (u *UI) requestStatus(w http.ResponseWriter, r *Request) error {
	id, version, err := pathIDVersion(r)
	if err != nil {
		return err
	}
	_, err = u.app.Schedule.SetRequestStatus(r.Context(), id, version, schedule.RequestStatus(r.PostFormValue("status")))
	if err != nil {
		return err
	}
	redirect(w, r.Request, "/requests/"+id.String(), "requests.status_changed")
	return nil
}

// requestReply adds a reply ("body"); a refused one comes back typed.
func (u *UI) requestReply(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	f := NewForm(r.PostForm)
	_, err = u.app.Schedule.ReplyToRequest(r.Context(), id, f.Get("body"))
	if f.AddError(err, nil) {
		return u.renderRequestPage(w, r, http.StatusUnprocessableEntity, id, f)
	}
	if err != nil {
		return err
	}
	redirect(w, r.Request, "/requests/"+id.String()+"#replies", "requests.replied")
	return nil
}
