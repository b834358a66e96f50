package web

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/schedule"
)

// calendarRoutes registers the calendar pages: a week (the phone's
// default), a month or a day of one staff member's or a group's calendar,
// and creating an appointment from a day's slot.
func (u *UI) calendarRoutes(mux *http.ServeMux) {
	mux.Handle("GET /calendar", u.page(u.calendarShow))
	mux.Handle("GET /calendar/new", u.page(u.appointmentNew))
	mux.Handle("POST /calendar/new", u.page(u.appointmentCreate))
	mux.Handle("GET /appointments/{id}", u.page(u.appointmentShow))
	mux.Handle("GET /appointments/{id}/edit", u.page(u.appointmentEdit))
	mux.Handle("POST /appointments/{id}/edit", u.page(u.appointmentUpdate))
	mux.Handle("POST /appointments/{id}/delete", u.page(u.appointmentDelete))
	mux.Handle("GET /records/{id}/next-appointment", u.page(u.nextAppointmentNew))
	mux.Handle("POST /records/{id}/next-appointment", u.page(u.nextAppointmentCreate))
	mux.Handle("POST /records/{id}/link-next", u.page(u.nextAppointmentLink))
}

// calendarDay is one day of the page.
type calendarDay struct {
	Date    schedule.Date
	Weekday string
	Holiday string
	Today   bool
	InMonth bool
	Entries []schedule.CalendarEntry
	// More are the month's 「他N件」 of the day, by staff.
	More     []schedule.CalendarMore
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

// monthPerDay is how many entries of each staff member's day a month
// shows; the rest is a 「他N件」 link to that staff member's day.
const monthPerDay = 3

func (u *UI) calendarShow(w http.ResponseWriter, r *Request) error {
	loc := r.loc()
	q := r.URL.Query()
	view := schedule.View(q.Get("view"))
	if view != schedule.ViewMonth && view != schedule.ViewDay {
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
		cq.PerDay = monthPerDay
	}
	cq.From, cq.To = gridFrom, gridTo
	cal, err := u.app.Schedule.Calendar(r.Context(), cq)
	if err != nil {
		return err
	}
	users, err := u.app.Staff.Users(r.Context(), r.Principal.Tenant)
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
	switch view {
	case schedule.ViewMonth:
		data.Prev, data.Next = from.AddDays(-1), to.AddDays(1)
	case schedule.ViewDay:
		data.Prev, data.Next = from.AddDays(-1), from.AddDays(1)
	default:
		data.Prev, data.Next = from.AddDays(-7), from.AddDays(7)
	}
	// A month's entries name their day; the others are on every day
	// they touch (an entry ending at midnight does not reach that day).
	byDay := map[schedule.Date][]schedule.CalendarEntry{}
	for _, e := range cal.Entries {
		if !e.Day.IsZero() {
			byDay[e.Day] = append(byDay[e.Day], e)
			continue
		}
		start, end := schedule.DateOf(e.Start.In(loc)), schedule.DateOf(e.End.In(loc))
		if e.End.After(e.Start) {
			end = schedule.DateOf(e.End.Add(-time.Nanosecond).In(loc))
		}
		for d := start; !end.Before(d); d = d.AddDays(1) {
			if !d.Before(gridFrom) && !gridTo.Before(d) {
				byDay[d] = append(byDay[d], e)
			}
		}
	}
	more := map[schedule.Date][]schedule.CalendarMore{}
	for _, m := range cal.More {
		more[m.Day] = append(more[m.Day], m)
	}
	for d := gridFrom; !gridTo.Before(d); d = d.AddDays(1) {
		wd := d.In(time.UTC).Weekday()
		data.Days = append(data.Days, calendarDay{Date: d, Weekday: weekdays[wd], Holiday: holidays[d], Today: d == today,
			InMonth: d.Month == from.Month || view != schedule.ViewMonth, Entries: byDay[d], More: more[d],
			Sunday: wd == time.Sunday, Saturday: wd == time.Saturday})
	}
	u.render(w, r.Request, r, http.StatusOK, "calendar", data)
	return nil
}
