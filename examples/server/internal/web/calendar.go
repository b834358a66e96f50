package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/schedule"
)

// calendarRoutes registers the calendar pages: a week (the phone's
// default) or a month of one staff member's or a group's calendar, and
// creating an appointment from a day's slot.
func (u *UI) calendarRoutes(mux *http.ServeMux) {
	mux.Handle("GET /calendar", u.page(u.calendarShow))
	mux.Handle("GET /calendar/new", u.page(u.appointmentNew))
	mux.Handle("POST /calendar/new", u.page(u.appointmentCreate))
}

// calendarDay is one day of the page.
type calendarDay struct {
	Date     schedule.Date
	Weekday  string
	Holiday  string
	Today    bool
	InMonth  bool
	Entries  []schedule.CalendarEntry
	Sunday   bool
	Saturday bool
}

type calendarData struct {
	View             schedule.View
	From, To         schedule.Date
	Prev, Next       schedule.Date
	Days             []calendarDay
	Staff, Group     string
	Users            []permission.User
	Groups           []permission.Group
	Loc              *time.Location
	Names            map[uuid.UUID]string
	ShowStaffOnEntry bool
}

func (u *UI) calendarShow(w http.ResponseWriter, r *Request) error {
	loc := r.loc()
	q := r.URL.Query()
	view := schedule.View(q.Get("view"))
	if view != schedule.ViewMonth {
		view = schedule.ViewWeek
	}
	today := schedule.DateOf(u.app.Clock().In(loc))
	day := today
	if s := q.Get("d"); s != "" {
		if d, err := schedule.ParseDate(s); err == nil {
			day = d
		}
	}
	from, to, err := view.Range(day)
	if err != nil {
		return err
	}
	var cq schedule.CalendarQuery
	if id, err := uuid.Parse(q.Get("staff")); err == nil {
		cq.Staff = []uuid.UUID{id}
	}
	if id, err := uuid.Parse(q.Get("group")); err == nil {
		cq.Group = id
	}
	// A month shows whole weeks.
	gridFrom, gridTo := from, to
	if view == schedule.ViewMonth {
		gridFrom, _, _ = schedule.ViewWeek.Range(from)
		_, gridTo, _ = schedule.ViewWeek.Range(to)
	}
	cq.From, cq.To = gridFrom, gridTo
	cal, err := u.app.Schedule.Calendar(r.Context(), cq)
	if err != nil {
		return err
	}
	users, err := u.app.Dir.Users(r.Context(), r.Principal.Tenant)
	if err != nil {
		return err
	}
	groups, err := u.app.Dir.Groups(r.Context(), r.Principal.Tenant)
	if err != nil {
		return err
	}
	names := map[uuid.UUID]string{}
	for _, us := range users {
		names[us.ID] = us.Name
	}
	holidays := map[schedule.Date]string{}
	for _, h := range cal.Holidays {
		holidays[h.Date] = h.Name
	}
	data := calendarData{View: view, From: from, To: to, Staff: q.Get("staff"), Group: q.Get("group"),
		Users: users, Groups: groups, Loc: loc, Names: names, ShowStaffOnEntry: len(cal.Staff) > 1}
	if view == schedule.ViewMonth {
		data.Prev, data.Next = from.AddDays(-1), to.AddDays(1)
	} else {
		data.Prev, data.Next = from.AddDays(-7), from.AddDays(7)
	}
	for d := gridFrom; !gridTo.Before(d); d = d.AddDays(1) {
		wd := d.In(time.UTC).Weekday()
		cd := calendarDay{Date: d, Weekday: weekdays[wd], Holiday: holidays[d], Today: d == today,
			InMonth: d.Month == from.Month || view == schedule.ViewWeek, Sunday: wd == time.Sunday, Saturday: wd == time.Saturday}
		for _, e := range cal.Entries {
			start := schedule.DateOf(e.Start.In(loc))
			end := schedule.DateOf(e.End.In(loc))
			if e.AllDay || e.End.After(e.Start) {
				// An entry ending at midnight does not reach that day.
				end = schedule.DateOf(e.End.Add(-time.Nanosecond).In(loc))
			}
			if !d.Before(start) && !end.Before(d) {
				cd.Entries = append(cd.Entries, e)
			}
		}
		data.Days = append(data.Days, cd)
	}
	u.render(w, r.Request, r, http.StatusOK, "calendar", data)
	return nil
}

type appointmentFormData struct {
	Form *Form
}

func (u *UI) appointmentNew(w http.ResponseWriter, r *Request) error {
	v := url.Values{"date": {r.URL.Query().Get("date")}, "start": {"10:00"}, "end": {"11:00"}}
	u.render(w, r.Request, r, http.StatusOK, "calendar_new", appointmentFormData{Form: NewForm(v)})
	return nil
}

func (u *UI) appointmentCreate(w http.ResponseWriter, r *Request) error {
	f := NewForm(r.PostForm)
	loc := r.loc()
	in := schedule.AppointmentInput{Title: f.Get("title"), Place: f.Get("place"), Memo: f.Get("memo"),
		Direct: schedule.Direct(f.Get("direct")), AllDay: f.Get("all_day") == "on"}
	day, err := schedule.ParseDate(f.Get("date"))
	if err != nil {
		f.Add("date", msg.T("code."+validation.CodeBadDate))
	}
	for _, t := range []struct {
		field string
		at    *time.Time
	}{{"start", &in.Start}, {"end", &in.End}} {
		hm, err := time.Parse("15:04", f.Get(t.field))
		if err != nil && !in.AllDay {
			f.Add(t.field, msg.T("code."+validation.CodeFormat))
			continue
		}
		*t.at = day.In(loc).Add(time.Duration(hm.Hour())*time.Hour + time.Duration(hm.Minute())*time.Minute)
	}
	if !f.Valid() {
		u.render(w, r.Request, r, http.StatusUnprocessableEntity, "calendar_new", appointmentFormData{Form: f})
		return nil
	}
	_, err = u.app.Schedule.CreateAppointment(r.Context(), in)
	if f.AddError(err, nil) {
		u.render(w, r.Request, r, http.StatusUnprocessableEntity, "calendar_new", appointmentFormData{Form: f})
		return nil
	}
	if err != nil {
		return err
	}
	redirect(w, r.Request, "/calendar?d="+day.String(), "calendar.created")
	return nil
}
