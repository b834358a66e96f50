package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/schedule"
)

// appointmentFormData is the data of the appointment form: a new
// appointment from a calendar slot, or the next appointment (次回の予定)
// of a contact record.
type appointmentFormData struct {
	Form   *Form
	Action string
	// Customers are the customer picker's choices: the chosen customer,
	// then the matches of a search by name or reading.
	Customers []customerOption
	// NoCustomer offers 「顧客なし」 (not for a next appointment, which
	// keeps the record's customer).
	NoCustomer bool
	Channels   []masterOption
	// Source is the record whose next appointment the form plans (nil
	// from a slot); Linkable are its customer's upcoming appointments that
	// are not yet a record's next one, offered instead (LinkNext).
	Source   *contactlog.Record
	Linkable []schedule.Appointment
	// Edited is the appointment the form changes (nil for a new one).
	Edited *schedule.Appointment
	// Staff are the staff picker's rows (the record form's staff search):
	// the staff chosen, then the matches of a search by name or reading.
	Staff []staffRow
	// StaffSearched tells that a staff search ran.
	StaffSearched bool
	// Units and Groups are the scope's choices (the staff choices are
	// Staff).
	Units  []permission.OrgUnit
	Groups []permission.Group
	Loc    *time.Location
	// Other are problems of fields the form does not show.
	Other []string
}

// appointmentNew shows the form of a new appointment on the slot's day
// ("date"), with the customer a link names ("customer"), for the staff
// member whose calendar the slot is on ("staff"; else the user), open to
// the whole company unless the user chooses a narrower scope.
func (u *UI) appointmentNew(w http.ResponseWriter, r *Request) error {
	q := r.URL.Query()
	v := url.Values{"date": {q.Get("date")}, "end_date": {q.Get("date")}, "start": {"10:00"}, "end": {"11:00"},
		"staff": {r.Principal.User.String()}}
	if id, err := uuid.Parse(q.Get("customer")); err == nil {
		v.Set("customer_id", id.String())
	}
	if id, err := uuid.Parse(q.Get("staff")); err == nil {
		v.Set("staff", id.String())
	}
	setScopeValues(v, permission.Scope{})
	return u.renderAppointmentForm(w, r, http.StatusOK, NewForm(v), nil, "")
}

// appointmentCreate handles a post of the slot's form.
func (u *UI) appointmentCreate(w http.ResponseWriter, r *Request) error {
	return u.appointmentFormPost(w, r, nil, func(in schedule.AppointmentInput) (string, error) {
		a, err := u.app.Schedule.CreateAppointment(r.Context(), in)
		if err != nil {
			return "", err
		}
		return "/calendar?d=" + schedule.DateOf(a.Start.In(r.loc())).String(), nil
	}, "calendar.created")
}

// nextAppointmentNew shows the form of the next appointment of the record
// (次回の予定): its customer, channel, contact persons, responders (as
// the staff) and scope carried, a week after the record's time.
func (u *UI) nextAppointmentNew(w http.ResponseWriter, r *Request) error {
	rec, err := u.recordOf(r)
	if err != nil {
		return err
	}
	at := rec.ActualAt
	if at.IsZero() {
		at = rec.PlannedAt
	}
	if at.IsZero() {
		at = u.app.Clock()
	}
	at = at.In(r.loc()).AddDate(0, 0, 7)
	day := schedule.DateOf(at).String()
	v := url.Values{"date": {day}, "end_date": {day}, "start": {at.Format("15:04")},
		"end": {at.Add(time.Hour).Format("15:04")}, "channel": {rec.Channel},
		"contact_persons": {strings.Join(rec.ContactPersons, "\n")}, "staff": idStrings(rec.Responders)}
	if rec.Customer != uuid.Nil {
		v.Set("customer_id", rec.Customer.String())
	}
	setScopeValues(v, rec.Scope)
	return u.renderAppointmentForm(w, r, http.StatusOK, NewForm(v), rec, "")
}

// nextAppointmentCreate handles a post of the next appointment's form.
func (u *UI) nextAppointmentCreate(w http.ResponseWriter, r *Request) error {
	rec, err := u.recordOf(r)
	if err != nil {
		return err
	}
	return u.appointmentFormPost(w, r, rec, func(in schedule.AppointmentInput) (string, error) {
		if _, err := u.app.Schedule.PlanNext(r.Context(), rec.ID, in); err != nil {
			return "", err
		}
		return "/records/" + rec.ID.String(), nil
	}, "calendar.next_created")
}

// nextAppointmentLink makes an existing appointment ("appointment" at
// "version") the record's next one.
func (u *UI) nextAppointmentLink(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ap, err := uuid.Parse(r.PostFormValue("appointment"))
	if err != nil {
		return kerr.ErrInvalid
	}
	version, err := parseVersion(r.PostFormValue("version"))
	if err != nil {
		return err
	}
	if _, err := u.app.Schedule.LinkNext(r.Context(), id, ap, version); err != nil {
		return err
	}
	redirect(w, r.Request, "/records/"+id.String(), "calendar.next_linked")
	return nil
}

// appointmentEdit shows the form of an existing appointment.
func (u *UI) appointmentEdit(w http.ResponseWriter, r *Request) error {
	a, err := u.appointmentOf(r)
	if err != nil {
		return err
	}
	loc := r.loc()
	v := url.Values{"version": {itoa64(a.Version)}, "title": {a.Title}, "date": {schedule.DateOf(a.Start.In(loc)).String()},
		"end_date": {schedule.DateOf(a.End.In(loc)).String()}, "staff": idStrings(a.Staff),
		"start": {a.Start.In(loc).Format("15:04")}, "end": {a.End.In(loc).Format("15:04")}, "place": {a.Place},
		"channel": {a.Channel}, "contact_persons": {strings.Join(a.ContactPersons, "\n")}, "direct": {string(a.Direct)},
		"memo": {a.Memo}, "customer_id": {draftChoice}}
	if a.AllDay {
		v.Set("all_day", "on")
	}
	if a.Customer != uuid.Nil {
		v.Set("customer_id", a.Customer.String())
	}
	setScopeValues(v, a.Scope)
	return u.renderAppointmentEdit(w, r, http.StatusOK, NewForm(v), a, "")
}

// appointmentUpdate saves the edit form, based on the version it was read
// at, its scope included (the engine decides, as for a record, whether the
// user may make the change); the confidentiality, which the form does not
// show, is kept. A stale version shows the form again with what was typed,
// at the current version; a refused change shows it again with what was
// typed and why.
func (u *UI) appointmentUpdate(w http.ResponseWriter, r *Request) error {
	a, err := u.appointmentOf(r)
	if err != nil {
		return err
	}
	version, err := parseVersion(r.PostFormValue("version"))
	if err != nil {
		return err
	}
	f := NewForm(r.PostForm)
	op := f.Get("op")
	f.Values.Del("op")
	if op == opFind || op == opStaffFind {
		return u.renderAppointmentEdit(w, r, http.StatusOK, f, a, op)
	}
	in := readAppointment(r, f)
	in.Scope, in.Confidential = readScope(f), a.Confidential
	if !f.Valid() {
		return u.renderAppointmentEdit(w, r, http.StatusUnprocessableEntity, f, a, "")
	}
	_, err = u.app.Schedule.UpdateAppointment(r.Context(), a.ID, version, in)
	if addAppointmentError(f, err) {
		return u.renderAppointmentEdit(w, r, http.StatusUnprocessableEntity, f, a, "")
	}
	switch {
	case errors.Is(err, kerr.ErrConflict):
		f.Message = msg.T("error.conflict")
		f.Values.Set("version", itoa64(a.Version))
		return u.renderAppointmentEdit(w, r, http.StatusConflict, f, a, "")
	case errors.Is(err, kerr.ErrPermissionDenied):
		f.Message = msg.T("calendar.edit_refused")
		return u.renderAppointmentEdit(w, r, http.StatusForbidden, f, a, "")
	}
	if err != nil {
		return err
	}
	redirect(w, r.Request, "/appointments/"+a.ID.String(), "common.saved")
	return nil
}

// appointmentDelete moves an appointment (at "version") to the trash.
func (u *UI) appointmentDelete(w http.ResponseWriter, r *Request) error {
	id, version, err := pathIDVersion(r)
	if err != nil {
		return err
	}
	a, err := u.app.Schedule.Appointment(r.Context(), id)
	if err != nil {
		return err
	}
	if err := u.app.Schedule.DeleteAppointment(r.Context(), id, version); err != nil {
		return err
	}
	redirect(w, r.Request, "/calendar?d="+schedule.DateOf(a.Start.In(r.loc())).String(), "common.deleted")
	return nil
}

// appointmentOf loads the appointment named by the path's {id}.
func (u *UI) appointmentOf(r *Request) (*schedule.Appointment, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return u.app.Schedule.Appointment(r.Context(), id)
}

// renderAppointmentEdit is renderAppointmentForm for the appointment a.
func (u *UI) renderAppointmentEdit(w http.ResponseWriter, r *Request, status int, f *Form, a *schedule.Appointment, op string) error {
	return u.renderAppointmentFormOf(w, r, status, f, nil, a, op)
}

// appointmentFormPost handles a post of the appointment form (source: the
// record planned from, or nil): a customer or staff search shows the form
// again with the matches; a save calls save with what was typed and redirects
// where it says, with flash, the scope chosen included. Every other answer
// is the form again with everything typed kept and each problem next to its
// field.
func (u *UI) appointmentFormPost(w http.ResponseWriter, r *Request, source *contactlog.Record, save func(schedule.AppointmentInput) (string, error), flash string) error {
	f := NewForm(r.PostForm)
	op := f.Get("op")
	f.Values.Del("op")
	if op == opFind || op == opStaffFind {
		return u.renderAppointmentForm(w, r, http.StatusOK, f, source, op)
	}
	in := readAppointment(r, f)
	in.Scope = readScope(f)
	if !f.Valid() {
		return u.renderAppointmentForm(w, r, http.StatusUnprocessableEntity, f, source, "")
	}
	to, err := save(in)
	if addAppointmentError(f, err) {
		return u.renderAppointmentForm(w, r, http.StatusUnprocessableEntity, f, source, "")
	}
	if err != nil {
		return err
	}
	redirect(w, r.Request, to, flash)
	return nil
}

// readAppointment reads the appointment form: from the time on "date" to
// the time on "end_date" (empty: the same day), all-day the days between;
// problems the engine cannot see (a malformed date or time, a customer
// typed but not chosen) are recorded on f.
func readAppointment(r *Request, f *Form) schedule.AppointmentInput {
	loc := r.loc()
	in := schedule.AppointmentInput{Title: f.Get("title"), Place: f.Get("place"), Memo: f.Get("memo"),
		Direct: schedule.Direct(f.Get("direct")), AllDay: f.Get("all_day") == "on", Channel: f.Get("channel"),
		ContactPersons: formLines(f.Get("contact_persons")), Staff: peopleIDs(f, "staff")}
	switch s := f.Get("customer_id"); s {
	case "", draftChoice:
		if q := strings.TrimSpace(f.Get("customer_q")); s == "" && q != "" {
			f.Add("customer_id", msg.T("calendar.choose_customer", q))
		}
	default:
		id, err := uuid.Parse(s)
		if err != nil {
			f.Add("customer_id", msg.T("code.invalid_id"))
		}
		in.Customer = id
	}
	day, err := schedule.ParseDate(f.Get("date"))
	if err != nil {
		f.Add("date", msg.T("code."+validation.CodeBadDate))
		return in
	}
	endDay := day
	if s := f.Get("end_date"); s != "" {
		if endDay, err = schedule.ParseDate(s); err != nil {
			f.Add("end_date", msg.T("code."+validation.CodeBadDate))
			return in
		}
	}
	in.Start, in.End = day.In(loc), endDay.In(loc)
	if in.AllDay {
		return in
	}
	for _, t := range []struct {
		field string
		day   schedule.Date
		at    *time.Time
	}{{"start", day, &in.Start}, {"end", endDay, &in.End}} {
		hm, err := time.Parse("15:04", f.Get(t.field))
		if err != nil {
			f.Add(t.field, msg.T("code."+validation.CodeFormat))
			continue
		}
		*t.at = time.Date(t.day.Year, t.day.Month, t.day.Day, hm.Hour(), hm.Minute(), 0, 0, loc)
	}
	return in
}

// appointmentFields are the engine's field names the appointment form
// shows, with the form's names.
var appointmentFields = map[string]string{
	"title": "title", "start": "start", "end": "end", "place": "place", "memo": "memo", "direct": "direct",
	"channel": "channel", "customer": "customer_id", "contact_persons": "contact_persons", "staff": "staff",
	"scope": "scope_kind",
}

// addAppointmentError records a validation error of the schedule engine
// on f: problems of the fields the form shows next to them (the scope's,
// "scope.kind" and "scope.targets", next to the scope choice), the others
// at its top. It reports whether err was one.
func addAppointmentError(f *Form, err error) bool {
	var ve *validation.Error
	if !errors.As(err, &ve) {
		return false
	}
	for _, fe := range ve.Fields {
		name := fe.Field
		if i := strings.IndexAny(name, "[."); i > 0 {
			name = name[:i]
		}
		if to, ok := appointmentFields[name]; ok {
			f.Add(to, msg.Field(fe))
			continue
		}
		f.Add("_other", msg.T("records.other_problem", fe.Field, msg.Field(fe)))
	}
	f.Message = msg.T("common.form_errors")
	return true
}

// renderAppointmentForm shows the appointment form with f; op opFind runs
// the customer search of "customer_q", opStaffFind the staff search of
// "staff_q".
func (u *UI) renderAppointmentForm(w http.ResponseWriter, r *Request, status int, f *Form, source *contactlog.Record, op string) error {
	return u.renderAppointmentFormOf(w, r, status, f, source, nil, op)
}

// renderAppointmentFormOf shows the appointment form: new (source and
// edited nil), the next one of source, or the edit of edited.
func (u *UI) renderAppointmentFormOf(w http.ResponseWriter, r *Request, status int, f *Form, source *contactlog.Record, edited *schedule.Appointment, op string) error {
	d := appointmentFormData{Form: f, Action: "/calendar/new", NoCustomer: true, Source: source, Edited: edited, Loc: r.loc(),
		Other: f.Errors["_other"], StaffSearched: op == opStaffFind}
	if edited != nil {
		d.Action = "/appointments/" + edited.ID.String() + "/edit"
	}
	var err error
	if d.Units, err = u.app.Dir.OrgUnits(r.Context(), r.Principal.Tenant); err != nil {
		return err
	}
	if d.Groups, err = u.app.Dir.Groups(r.Context(), r.Principal.Tenant); err != nil {
		return err
	}
	if d.Customers, err = u.customerOptions(r, f, op == opFind); err != nil {
		return err
	}
	if d.Staff, err = u.staffRows(r, f, d.StaffSearched); err != nil {
		return err
	}
	masters, err := u.masterChoices(r, f)
	if err != nil {
		return err
	}
	d.Channels = masters[contactlog.MasterChannel]
	if source != nil {
		d.Action = "/records/" + source.ID.String() + "/next-appointment"
		d.NoCustomer = source.Customer == uuid.Nil
		if !d.NoCustomer {
			upcoming, err := u.app.Schedule.CustomerAppointments(r.Context(), source.Customer, 0)
			if err != nil {
				return err
			}
			for _, a := range upcoming {
				if a.Source == uuid.Nil && a.Record == uuid.Nil {
					d.Linkable = append(d.Linkable, a)
				}
			}
		}
	}
	u.render(w, r.Request, r, status, "calendar_new", d)
	return nil
}

// appointmentShowData is the appointment page's data.
type appointmentShowData struct {
	Appointment  *schedule.Appointment
	CustomerName string
	Staff        string
	Channel      string
	// Day is the appointment's first day (the calendar to go back to).
	Day schedule.Date
	Loc *time.Location
}

// appointmentShow is an appointment's page: what was planned, the record
// made from it or 「記録を作成」, and the record it is the next one of.
func (u *UI) appointmentShow(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	a, err := u.app.Schedule.Appointment(ctx, id)
	if err != nil {
		return err
	}
	d := appointmentShowData{Appointment: a, Loc: r.loc(), Day: schedule.DateOf(a.Start.In(r.loc()))}
	if a.Customer != uuid.Nil {
		names, err := u.app.Customers.Names(ctx, []uuid.UUID{a.Customer})
		if err != nil {
			return err
		}
		d.CustomerName = names[a.Customer]
	}
	staff, err := u.staffNamesOf(ctx, r.Principal.Tenant, a.Staff)
	if err != nil {
		return err
	}
	d.Staff = staff.joined(a.Staff)
	channels, err := u.customerMasterLabels(ctx, contactlog.MasterChannel)
	if err != nil {
		return err
	}
	d.Channel = customerLabelOr(channels, a.Channel)
	u.render(w, r.Request, r, http.StatusOK, "appointment_show", d)
	return nil
}

// idStrings returns ids as form values.
func idStrings(ids []uuid.UUID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}
