// Package api is the schedule engine's JSON API: routes for appointments,
// the calendar, the plan → record → next plan cycle, the calendar feed
// token, requests, recurring alerts and notices, described as
// contactlog/api Routes so that they are served, authenticated and
// documented (OpenAPI 3.1) by the same handler as the customer and record
// routes:
//
//	srv, err := capi.New(&capi.Options{…, Extra: api.Routes(schedule)})
//
// Paths (below the server's prefix):
//
//	POST   /v1/appointments                     create an appointment
//	GET    /v1/appointments/{id}                read one (ETag: its version)
//	PUT    /v1/appointments/{id}                replace it (If-Match)
//	DELETE /v1/appointments/{id}                move it to the trash (If-Match)
//	POST   /v1/appointments/{id}/restore        take it out of the trash (If-Match)
//	POST   /v1/appointments/{id}/record         write its contact record (If-Match)
//	POST   /v1/records/{id}/next-appointment    plan the record's next appointment
//	PUT    /v1/records/{id}/next-appointment    make an existing appointment the next one
//	GET    /v1/records/{id}/next-appointments   the record's next appointments
//	POST   /v1/records/with-customer            register a new customer and its record at once
//	GET    /v1/customers/{id}/appointments      a customer's upcoming (or past) appointments
//	GET    /v1/calendar                         staff calendars (from, to, staff, group, per_day)
//	GET    /v1/calendar-feed                    whether the principal has a feed, since when
//	POST   /v1/calendar-feed                    a new secret iCalendar feed token
//	DELETE /v1/calendar-feed                    revoke it
//	POST   /v1/requests                         send a request or note a task
//	GET    /v1/requests                         received or sent requests (box, open)
//	GET    /v1/requests/{id}                    one, with its replies
//	POST   /v1/requests/{id}/status             change its status (If-Match)
//	POST   /v1/requests/{id}/replies            reply
//	POST   /v1/alerts                           create a recurring alert
//	GET    /v1/alerts/{id}                      read one (ETag: its version)
//	PUT    /v1/alerts/{id}                      change it (If-Match)
//	DELETE /v1/alerts/{id}                      delete it with its occurrences (If-Match)
//	GET    /v1/customers/{id}/alerts            a customer's alerts
//	GET    /v1/alert-occurrences                occurrences by due day (period, status, done, customer, assignee)
//	GET    /v1/alert-occurrences/export         the same as CSV (encoding), audited
//	GET    /v1/alert-occurrences/{id}           one occurrence (ETag: its version)
//	PUT    /v1/alert-occurrences/{id}/done      mark it done or not done (If-Match)
//	PUT    /v1/alert-occurrences/{id}/memo      replace its memo (If-Match)
//	POST   /v1/notices                          post a notice
//	GET    /v1/notices                          the notices shown to the principal today
//	GET    /v1/notices/managed                  the notices the principal may edit
//	PUT    /v1/notices/{id}                     change one (If-Match)
//	DELETE /v1/notices/{id}                     delete one (If-Match)
//
// The engine enforces every permission; errors become the server's
// problem responses.
package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	capi "github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/schedule"
)

// RecordFromAppointment is the answer of POST /v1/appointments/{id}/record:
// the record written and the appointment now linked to it.
type RecordFromAppointment struct {
	Record      contactlog.Record    `json:"record"`
	Appointment schedule.Appointment `json:"appointment"`
}

// NextLink names the existing appointment, at its version, that becomes a
// record's next appointment.
type NextLink struct {
	Appointment uuid.UUID `json:"appointment"`
	Version     int64     `json:"version"`
}

// RecordWithCustomerInput is a new customer and its first record, written
// in one transaction (a calendar slot's visitor who is not a customer yet).
type RecordWithCustomerInput struct {
	Customer customer.Profile `json:"customer"`
	Record   contactlog.Entry `json:"record"`
}

// RecordWithCustomer is the answer of POST /v1/records/with-customer.
type RecordWithCustomer struct {
	Customer customer.Customer `json:"customer"`
	Record   contactlog.Record `json:"record"`
}

// AppointmentList is a list of appointments.
type AppointmentList struct {
	Appointments []schedule.Appointment `json:"appointments"`
}

// FeedToken is a new calendar feed's token, shown once.
type FeedToken struct {
	Token string `json:"token"`
}

// FeedStatus tells whether the principal has a calendar feed, and since
// when (the token itself is shown once, when it is made).
type FeedStatus struct {
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// RequestList is a list of requests.
type RequestList struct {
	Requests []schedule.Request `json:"requests"`
}

// StatusChange moves a request to a status.
type StatusChange struct {
	Status schedule.RequestStatus `json:"status"`
}

// ReplyInput is a reply's text.
type ReplyInput struct {
	Body string `json:"body"`
}

// Routes returns the schedule routes over svc, for capi.Options.Extra.
func Routes(svc *schedule.Service) []capi.Route {
	h := &handlers{svc: svc}
	const p = capi.Version1
	id := []capi.Param{{Name: "id", In: "path", Type: "string", Description: "ID", Required: true}}
	routes := []capi.Route{
		{ID: "createAppointment", Summary: "Create an appointment", Tag: "schedule", Method: http.MethodPost, Path: p + "/appointments",
			Request: schedule.AppointmentInput{}, Response: schedule.Appointment{}, Status: http.StatusCreated, ETag: true,
			Idempotent: true, Handler: h.createAppointment},
		{ID: "getAppointment", Summary: "Get an appointment", Tag: "schedule", Method: http.MethodGet, Path: p + "/appointments/{id}",
			Params: id, Response: schedule.Appointment{}, Status: http.StatusOK, ETag: true, Handler: h.getAppointment},
		{ID: "updateAppointment", Summary: "Update an appointment", Tag: "schedule", Method: http.MethodPut, Path: p + "/appointments/{id}",
			Params: id, Request: schedule.AppointmentInput{}, Response: schedule.Appointment{}, Status: http.StatusOK, IfMatch: true,
			ETag: true, Handler: h.updateAppointment},
		{ID: "deleteAppointment", Summary: "Delete an appointment (to the trash)", Tag: "schedule", Method: http.MethodDelete,
			Path: p + "/appointments/{id}", Params: id, Status: http.StatusNoContent, IfMatch: true, Handler: h.deleteAppointment},
		{ID: "restoreAppointment", Summary: "Take an appointment out of the trash", Tag: "schedule", Method: http.MethodPost,
			Path: p + "/appointments/{id}/restore", Params: id, Status: http.StatusNoContent, IfMatch: true, Handler: h.restoreAppointment},
		{ID: "recordFromAppointment", Summary: "Write the contact record of an appointment", Tag: "schedule", Method: http.MethodPost,
			Path: p + "/appointments/{id}/record", Params: id, Request: contactlog.Entry{}, Response: RecordFromAppointment{},
			Status: http.StatusCreated, IfMatch: true, Handler: h.recordFromAppointment},
		{ID: "planNextAppointment", Summary: "Plan the next appointment of a contact record", Tag: "schedule", Method: http.MethodPost,
			Path: p + "/records/{id}/next-appointment", Params: id, Request: schedule.AppointmentInput{}, Response: schedule.Appointment{},
			Status: http.StatusCreated, ETag: true, Idempotent: true, Handler: h.planNext},
		{ID: "linkNextAppointment", Summary: "Make an existing appointment the next one of a contact record", Tag: "schedule",
			Method: http.MethodPut, Path: p + "/records/{id}/next-appointment", Params: id, Request: NextLink{},
			Response: schedule.Appointment{}, Status: http.StatusOK, ETag: true, Handler: h.linkNext},
		{ID: "recordWithCustomer", Summary: "Register a new customer and its contact record in one transaction", Tag: "schedule",
			Method: http.MethodPost, Path: p + "/records/with-customer", Request: RecordWithCustomerInput{},
			Response: RecordWithCustomer{}, Status: http.StatusCreated, Idempotent: true, Handler: h.recordWithCustomer},
		{ID: "nextAppointments", Summary: "The appointments planned as a contact record's next contact", Tag: "schedule",
			Method: http.MethodGet, Path: p + "/records/{id}/next-appointments", Params: id,
			Response: AppointmentList{}, Status: http.StatusOK, Handler: h.nextAppointments},
		{ID: "appointmentOfRecord", Summary: "The appointment a contact record was made from (404 when none)", Tag: "schedule",
			Method: http.MethodGet, Path: p + "/records/{id}/appointment", Params: id,
			Response: schedule.Appointment{}, Status: http.StatusOK, ETag: true, Handler: h.appointmentOfRecord},
		{ID: "customerAppointments", Summary: "A customer's upcoming or past appointments", Tag: "schedule", Method: http.MethodGet,
			Path: p + "/customers/{id}/appointments", Params: append(append([]capi.Param(nil), id...),
				capi.Param{Name: "limit", In: "query", Type: "integer", Description: "at most this many (default 20)"},
				capi.Param{Name: "past", In: "query", Type: "boolean", Description: "those that ended, the latest first (default: upcoming, soonest first)"}),
			Response: AppointmentList{}, Status: http.StatusOK, Handler: h.customerAppointments},
		{ID: "calendar", Summary: "Read staff calendars", Tag: "schedule", Method: http.MethodGet, Path: p + "/calendar",
			Params: []capi.Param{
				{Name: "from", In: "query", Type: "string", Description: "first day, 2006-01-02", Required: true},
				{Name: "to", In: "query", Type: "string", Description: "last day, 2006-01-02", Required: true},
				{Name: "staff", In: "query", Type: "string", Description: "a staff member's ID (repeatable); none: the principal"},
				{Name: "group", In: "query", Type: "string", Description: "a group's ID: its members' calendars"},
				{Name: "per_day", In: "query", Type: "integer", Description: "list at most this many entries of each staff member's day, the rest counted in more (default 0: all)"},
			},
			Response: schedule.Calendar{}, Status: http.StatusOK, Handler: h.calendar},
		{ID: "getCalendarFeed", Summary: "Whether the principal has an iCalendar feed, and since when", Tag: "schedule",
			Method: http.MethodGet, Path: p + "/calendar-feed", Response: FeedStatus{}, Status: http.StatusOK, Handler: h.getFeed},
		{ID: "createCalendarFeed", Summary: "Create the principal's secret iCalendar feed (replacing the old one)", Tag: "schedule",
			Method: http.MethodPost, Path: p + "/calendar-feed", Response: FeedToken{}, Status: http.StatusCreated, Handler: h.createFeed},
		{ID: "revokeCalendarFeed", Summary: "Revoke the principal's iCalendar feed", Tag: "schedule", Method: http.MethodDelete,
			Path: p + "/calendar-feed", Status: http.StatusNoContent, Handler: h.revokeFeed},
		{ID: "createRequest", Summary: "Send a request or note a task", Tag: "requests", Method: http.MethodPost, Path: p + "/requests",
			Request: schedule.RequestInput{}, Response: schedule.Request{}, Status: http.StatusCreated, ETag: true, Idempotent: true,
			Handler: h.createRequest},
		{ID: "listRequests", Summary: "List received or sent requests", Tag: "requests", Method: http.MethodGet, Path: p + "/requests",
			Params: []capi.Param{
				{Name: "box", In: "query", Type: "string", Description: "received or sent", Required: true},
				{Name: "open", In: "query", Type: "boolean", Description: "only those not done"},
			},
			Response: RequestList{}, Status: http.StatusOK, Handler: h.listRequests},
		{ID: "getRequest", Summary: "Get a request with its replies", Tag: "requests", Method: http.MethodGet, Path: p + "/requests/{id}",
			Params: id, Response: schedule.Request{}, Status: http.StatusOK, ETag: true, Handler: h.getRequest},
		{ID: "setRequestStatus", Summary: "Change a request's status", Tag: "requests", Method: http.MethodPost,
			Path: p + "/requests/{id}/status", Params: id, Request: StatusChange{}, Response: schedule.Request{}, Status: http.StatusOK,
			IfMatch: true, ETag: true, Handler: h.setRequestStatus},
		{ID: "replyToRequest", Summary: "Reply to a request", Tag: "requests", Method: http.MethodPost, Path: p + "/requests/{id}/replies",
			Params: id, Request: ReplyInput{}, Response: schedule.Reply{}, Status: http.StatusCreated, Handler: h.reply},
	}
	return append(routes, alertRoutes(h)...)
}

type handlers struct {
	svc *schedule.Service
}

func (h *handlers) createAppointment(w http.ResponseWriter, r *http.Request) error {
	var in schedule.AppointmentInput
	if err := capi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := h.svc.CreateAppointment(r.Context(), in)
	return writeAppointment(w, http.StatusCreated, a, err)
}

func (h *handlers) getAppointment(w http.ResponseWriter, r *http.Request) error {
	id, err := capi.PathID(r, "id")
	if err != nil {
		return err
	}
	a, err := h.svc.Appointment(r.Context(), id)
	return writeAppointment(w, http.StatusOK, a, err)
}

func (h *handlers) updateAppointment(w http.ResponseWriter, r *http.Request) error {
	var in schedule.AppointmentInput
	id, version, err := target(w, r, &in)
	if err != nil {
		return err
	}
	a, err := h.svc.UpdateAppointment(r.Context(), id, version, in)
	return writeAppointment(w, http.StatusOK, a, err)
}

func (h *handlers) deleteAppointment(w http.ResponseWriter, r *http.Request) error {
	id, version, err := target(w, r, nil)
	if err != nil {
		return err
	}
	return noContent(w, h.svc.DeleteAppointment(r.Context(), id, version))
}

func (h *handlers) restoreAppointment(w http.ResponseWriter, r *http.Request) error {
	id, version, err := target(w, r, nil)
	if err != nil {
		return err
	}
	return noContent(w, h.svc.RestoreAppointment(r.Context(), id, version))
}

func (h *handlers) recordFromAppointment(w http.ResponseWriter, r *http.Request) error {
	var e contactlog.Entry
	id, version, err := target(w, r, &e)
	if err != nil {
		return err
	}
	rec, a, err := h.svc.RecordFromAppointment(r.Context(), id, version, e)
	if err != nil {
		return err
	}
	return capi.WriteJSON(w, http.StatusCreated, RecordFromAppointment{Record: *rec, Appointment: *a})
}

func (h *handlers) planNext(w http.ResponseWriter, r *http.Request) error {
	var in schedule.AppointmentInput
	id, err := idAndBody(w, r, &in)
	if err != nil {
		return err
	}
	a, err := h.svc.PlanNext(r.Context(), id, in)
	return writeAppointment(w, http.StatusCreated, a, err)
}

func (h *handlers) linkNext(w http.ResponseWriter, r *http.Request) error {
	var in NextLink
	id, err := idAndBody(w, r, &in)
	if err != nil {
		return err
	}
	a, err := h.svc.LinkNext(r.Context(), id, in.Appointment, in.Version)
	return writeAppointment(w, http.StatusOK, a, err)
}

func (h *handlers) recordWithCustomer(w http.ResponseWriter, r *http.Request) error {
	var in RecordWithCustomerInput
	if err := capi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	c, rec, err := h.svc.CreateRecordWithCustomer(r.Context(), in.Customer, in.Record)
	if err != nil {
		return err
	}
	return capi.WriteJSON(w, http.StatusCreated, RecordWithCustomer{Customer: *c, Record: *rec})
}

func (h *handlers) customerAppointments(w http.ResponseWriter, r *http.Request) error {
	id, err := capi.PathID(r, "id")
	if err != nil {
		return err
	}
	var ve validation.Error
	limit := capi.QueryInt(r.URL.Query(), "limit", &ve)
	past := capi.QueryBool(r.URL.Query(), "past", &ve)
	if err := ve.Err(); err != nil {
		return err
	}
	list := h.svc.CustomerAppointments
	if past {
		list = h.svc.CustomerPastAppointments
	}
	as, err := list(r.Context(), id, limit)
	if err != nil {
		return err
	}
	return capi.WriteJSON(w, http.StatusOK, AppointmentList{Appointments: nonNil(as)})
}

func (h *handlers) nextAppointments(w http.ResponseWriter, r *http.Request) error {
	id, err := capi.PathID(r, "id")
	if err != nil {
		return err
	}
	as, err := h.svc.NextAppointments(r.Context(), id)
	if err != nil {
		return err
	}
	return capi.WriteJSON(w, http.StatusOK, AppointmentList{Appointments: nonNil(as)})
}

func (h *handlers) appointmentOfRecord(w http.ResponseWriter, r *http.Request) error {
	id, err := capi.PathID(r, "id")
	if err != nil {
		return err
	}
	a, err := h.svc.MadeFromAppointment(r.Context(), id)
	return writeAppointment(w, http.StatusOK, a, err)
}

func (h *handlers) calendar(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var v validation.Error
	var cq schedule.CalendarQuery
	for _, f := range []struct {
		name string
		d    *schedule.Date
	}{{"from", &cq.From}, {"to", &cq.To}} {
		if err := f.d.UnmarshalText([]byte(q.Get(f.name))); err != nil {
			v.Add(f.name, validation.CodeFormat, "")
		}
	}
	for _, s := range q["staff"] {
		u, err := uuid.Parse(s)
		if err != nil {
			v.Add("staff", validation.CodeInvalidUUID, "")
			continue
		}
		cq.Staff = append(cq.Staff, u)
	}
	if g := q.Get("group"); g != "" {
		u, err := uuid.Parse(g)
		if err != nil {
			v.Add("group", validation.CodeInvalidUUID, "")
		}
		cq.Group = u
	}
	cq.PerDay = capi.QueryInt(q, "per_day", &v)
	if err := v.Err(); err != nil {
		return err
	}
	c, err := h.svc.Calendar(r.Context(), cq)
	if err != nil {
		return err
	}
	c.Staff, c.Entries, c.Holidays = nonNil(c.Staff), nonNil(c.Entries), nonNil(c.Holidays)
	return capi.WriteJSON(w, http.StatusOK, c)
}

func (h *handlers) getFeed(w http.ResponseWriter, r *http.Request) error {
	f, err := h.svc.Feed(r.Context())
	if errors.Is(err, schedule.ErrNotFound) {
		return capi.WriteJSON(w, http.StatusOK, FeedStatus{})
	}
	if err != nil {
		return err
	}
	return capi.WriteJSON(w, http.StatusOK, FeedStatus{Active: true, CreatedAt: f.CreatedAt})
}

func (h *handlers) createFeed(w http.ResponseWriter, r *http.Request) error {
	token, err := h.svc.CreateFeed(r.Context())
	if err != nil {
		return err
	}
	return capi.WriteJSON(w, http.StatusCreated, FeedToken{Token: token})
}

func (h *handlers) revokeFeed(w http.ResponseWriter, r *http.Request) error {
	return noContent(w, h.svc.RevokeFeed(r.Context()))
}

func (h *handlers) createRequest(w http.ResponseWriter, r *http.Request) error {
	var in schedule.RequestInput
	if err := capi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	req, err := h.svc.CreateRequest(r.Context(), in)
	return writeRequest(w, http.StatusCreated, req, err)
}

func (h *handlers) listRequests(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var ve validation.Error
	open := capi.QueryBool(q, "open", &ve)
	if err := ve.Err(); err != nil {
		return err
	}
	rs, err := h.svc.Requests(r.Context(), schedule.RequestQuery{Box: schedule.RequestBox(q.Get("box")), Open: open})
	if err != nil {
		return err
	}
	return capi.WriteJSON(w, http.StatusOK, RequestList{Requests: nonNil(rs)})
}

func (h *handlers) getRequest(w http.ResponseWriter, r *http.Request) error {
	id, err := capi.PathID(r, "id")
	if err != nil {
		return err
	}
	req, err := h.svc.Request(r.Context(), id)
	return writeRequest(w, http.StatusOK, req, err)
}

func (h *handlers) setRequestStatus(w http.ResponseWriter, r *http.Request) error {
	var in StatusChange
	id, version, err := target(w, r, &in)
	if err != nil {
		return err
	}
	req, err := h.svc.SetRequestStatus(r.Context(), id, version, in.Status)
	return writeRequest(w, http.StatusOK, req, err)
}

func (h *handlers) reply(w http.ResponseWriter, r *http.Request) error {
	var in ReplyInput
	id, err := idAndBody(w, r, &in)
	if err != nil {
		return err
	}
	rep, err := h.svc.ReplyToRequest(r.Context(), id, in.Body)
	if err != nil {
		return err
	}
	return capi.WriteJSON(w, http.StatusCreated, rep)
}

// target reads what a conditional change of one item names: the path's
// {id}, the If-Match version and, unless body is nil, the JSON body into
// body.
func target(w http.ResponseWriter, r *http.Request, body any) (uuid.UUID, int64, error) {
	id, err := capi.PathID(r, "id")
	if err != nil {
		return uuid.Nil, 0, err
	}
	version, err := capi.IfMatch(r)
	if err != nil {
		return uuid.Nil, 0, err
	}
	if body != nil {
		if err := capi.DecodeJSON(w, r, body); err != nil {
			return uuid.Nil, 0, err
		}
	}
	return id, version, nil
}

// idAndBody reads the path's {id} and the JSON body into body.
func idAndBody(w http.ResponseWriter, r *http.Request, body any) (uuid.UUID, error) {
	id, err := capi.PathID(r, "id")
	if err != nil {
		return uuid.Nil, err
	}
	return id, capi.DecodeJSON(w, r, body)
}

// writeAppointment answers a with status and its version as ETag, or
// passes on the error of the call that made it.
func writeAppointment(w http.ResponseWriter, status int, a *schedule.Appointment, err error) error {
	if err != nil {
		return err
	}
	return capi.WriteVersioned(w, status, a.Version, a)
}

// writeRequest answers req with status and its version as ETag, or passes
// on the error of the call that made it.
func writeRequest(w http.ResponseWriter, status int, req *schedule.Request, err error) error {
	if err != nil {
		return err
	}
	return capi.WriteVersioned(w, status, req.Version, req)
}

// noContent answers 204, or passes on the error of the call.
func noContent(w http.ResponseWriter, err error) error {
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
