package schedule

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// Limits of a CalendarQuery.
const (
	MaxCalendarDays  = 62  // days from From to To, both included
	MaxCalendarStaff = 200 // staff members, a group's members included
)

// View is a calendar layout: a day, a week (Sunday to Saturday, as
// Period's weeks) or a calendar month.
type View string

// Views.
const (
	ViewDay   View = "day"
	ViewWeek  View = "week"
	ViewMonth View = "month"
)

// Range returns the first and last day (both included) of the view that
// contains day d. An unknown View fails with ErrInvalid.
func (v View) Range(d Date) (from, to Date, err error) {
	switch v {
	case ViewDay:
		return d, d, nil
	case ViewWeek:
		sunday := d.AddDays(-int(d.In(time.UTC).Weekday()))
		return sunday, sunday.AddDays(6), nil
	case ViewMonth:
		return Date{d.Year, d.Month, 1}, Date{d.Year, d.Month, daysIn(d.Year, d.Month)}, nil
	}
	return Date{}, Date{}, fmt.Errorf("schedule: view %q: %w", v, ErrInvalid)
}

// CalendarQuery selects the calendars to read and the days.
type CalendarQuery struct {
	// Staff whose calendars to read; with Group, its members too. Both
	// empty: the principal's own calendar.
	Staff []uuid.UUID
	// Group adds the members of this group of the tenant.
	Group uuid.UUID
	// From and To are the first and last day, both included, in the
	// tenant's zone: at most MaxCalendarDays. Required (View.Range and
	// Period.Range compute them).
	From, To Date
}

// EntryKind tells appointments from contact records on a calendar.
type EntryKind string

// Entry kinds.
const (
	EntryAppointment EntryKind = "appointment"
	EntryRecord      EntryKind = "record"
)

// CalendarEntry is one item on one staff member's calendar. An
// appointment shows once per staff member of it; a contact record once per
// responder and per assignee of its customer among the calendars read.
type CalendarEntry struct {
	Kind EntryKind `json:"kind"`
	// ID is the appointment's or the record's.
	ID uuid.UUID `json:"id"`
	// Staff is whose calendar the entry is on.
	Staff uuid.UUID `json:"staff"`
	// Title is the appointment's title; empty for records.
	Title string `json:"title,omitempty"`
	// Start and End: the appointment's range (for an all-day one, the
	// midnights of its first day and of the day after its last, in the
	// tenant's zone); for a record Start is its actual time, else its
	// planned time, and End equals Start.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// AllDay marks an all-day appointment.
	AllDay bool `json:"all_day,omitempty"`
	// Place is the appointment's place.
	Place string `json:"place,omitempty"`
	// Customer is the customer of the entry (zero for none).
	Customer uuid.UUID `json:"customer,omitzero"`
	// CustomerName is its display name, empty when the principal does not
	// see the customer (an entry they see through its people or scope).
	CustomerName string `json:"customer_name,omitempty"`
	// Channel is the 対応形態 master code.
	Channel string `json:"channel,omitempty"`
	// Direct is the appointment's 直行・直帰 mark.
	Direct Direct `json:"direct,omitempty"`
	// Planned marks a record without an actual time yet (予定の記録).
	Planned bool `json:"planned,omitempty"`
	// Record is, for an appointment, the record made from it.
	Record uuid.UUID `json:"record,omitzero"`
	// Version is the appointment's or the record's version.
	Version int64 `json:"version"`
}

// Calendar is the answer to a CalendarQuery.
type Calendar struct {
	From Date `json:"from"`
	To   Date `json:"to"`
	// Staff are the calendars read, in the order asked (the group's
	// members after Staff, by name).
	Staff []uuid.UUID `json:"staff"`
	// Entries by Start, then kind (appointments first), ID and staff.
	Entries []CalendarEntry `json:"entries"`
	// Holidays are the Japanese public holidays between From and To.
	Holidays []Holiday `json:"holidays"`
}

// calendarRow is what both calendar queries select.
type calendarRow struct {
	ID           uuid.UUID `bun:"id"`
	Staff        uuid.UUID `bun:"staff_id"`
	Title        string    `bun:"title"`
	StartsAt     time.Time `bun:"starts_at,nullzero"`
	EndsAt       time.Time `bun:"ends_at,nullzero"`
	AllDay       bool      `bun:"all_day"`
	Place        string    `bun:"place"`
	Customer     uuid.UUID `bun:"customer_id,nullzero"`
	Channel      string    `bun:"channel"`
	Direct       string    `bun:"direct"`
	Record       uuid.UUID `bun:"record_id,nullzero"`
	PlannedAt    time.Time `bun:"planned_at,nullzero"`
	ActualAt     time.Time `bun:"actual_at,nullzero"`
	Version      int64     `bun:"version"`
	CustomerKind string    `bun:"c_kind"`
	FamilyName   string    `bun:"c_family_name"`
	GivenName    string    `bun:"c_given_name"`
	CompanyName  string    `bun:"c_company_name"`
}

func (r *calendarRow) customerName() string {
	if r.CustomerKind == "" {
		return ""
	}
	c := customer.Customer{}
	c.Kind, c.FamilyName, c.GivenName, c.CompanyName = customer.Kind(r.CustomerKind), r.FamilyName, r.GivenName, r.CompanyName
	return c.DisplayName()
}

// Calendar reads the calendars of q: the appointments of its staff and
// the contact records they responded to or whose customer they are
// assigned to, in one query each, both under the principal's visibility
// rules (what the principal may not see is absent). Records without a
// planned or actual time are not on calendars. Staff only. Appointments
// are read directly; records through Config.Records' tables (no copy).
func (s *Service) Calendar(ctx context.Context, q CalendarQuery) (*Calendar, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	out, err := s.calendar(ctx, pr, q, MaxCalendarDays)
	if err != nil {
		return nil, fmt.Errorf("schedule: calendar: %w", err)
	}
	return out, nil
}

// calendar reads q for pr, refusing a range of more than maxDays days
// (MaxCalendarDays for callers; the feed reads its whole window at once).
func (s *Service) calendar(ctx context.Context, pr permission.Principal, q CalendarQuery, maxDays int) (*Calendar, error) {
	var v validation.Error
	for _, f := range []struct {
		name string
		d    Date
	}{{"from", q.From}, {"to", q.To}} {
		switch {
		case f.d.IsZero():
			v.Add(f.name, validation.CodeRequired, "")
		case !f.d.valid():
			v.Add(f.name, validation.CodeBadDate, "")
		}
	}
	if q.From.valid() && q.To.valid() && (q.To.Before(q.From) || q.From.AddDays(maxDays-1).Before(q.To)) {
		v.Add("to", validation.CodeOutOfRange, q.From.String()+".."+q.From.AddDays(maxDays-1).String())
	}
	staff := cleanIDs(&v, "staff", q.Staff, MaxCalendarStaff)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if q.Group != uuid.Nil {
		var members []uuid.UUID
		err := s.db.NewSelect().TableExpr("group_members AS gm").Column("gm.user_id").
			Join("JOIN staff_users AS u ON u.tenant_id = gm.tenant_id AND u.id = gm.user_id").
			Where("gm.tenant_id = ?", pr.Tenant).Where("gm.group_id = ?", q.Group).
			OrderExpr("u.name, u.id").Scan(ctx, &members)
		if err != nil {
			return nil, storage.Err(err)
		}
		for _, m := range members {
			if !slices.Contains(staff, m) {
				staff = append(staff, m)
			}
		}
		if len(staff) > MaxCalendarStaff {
			v.Add("group", validation.CodeTooMany, strconv.Itoa(MaxCalendarStaff))
			return nil, v.Err()
		}
	}
	if len(staff) == 0 && q.Group == uuid.Nil {
		staff = []uuid.UUID{pr.User}
	}
	loc := s.location(pr)
	from, to := q.From.In(loc).UTC(), q.To.AddDays(1).In(loc).UTC()
	out := &Calendar{From: q.From, To: q.To, Staff: staff, Holidays: Holidays(q.From, q.To)}
	if len(staff) == 0 {
		return out, nil
	}
	custPred, err := s.authz.Predicate(ctx, pr, entryCustomer.Resource(""))
	if err != nil {
		return nil, err
	}
	custCols := entryCustomer.NameColumns("c_")
	custJoin := func(alias string) string {
		return entryCustomer.Join("LEFT JOIN", alias, "customer_id") + " AND " + entryCustomer.Live() + " AND " + custPred.SQL
	}

	// Appointments.
	apPred, err := s.authz.Predicate(ctx, pr, appointmentTable)
	if err != nil {
		return nil, err
	}
	var aps []calendarRow
	aq := s.db.NewSelect().TableExpr("schedule_appointments AS ap").
		ColumnExpr("ap.id, st.user_id AS staff_id, ap.title, ap.starts_at, ap.ends_at, ap.all_day, ap.place, ap.customer_id, ap.channel, ap.direct, ap.record_id, ap.version, "+custCols).
		Join("JOIN schedule_appointment_staff AS st ON st.tenant_id = ap.tenant_id AND st.record_id = ap.id").
		Join(custJoin("ap"), custPred.Args...).
		Where("ap.tenant_id = ?", pr.Tenant).Where("st.user_id IN (?)", bun.List(staff)).Where("ap.deleted_at IS NULL").
		Where("ap.starts_at < ?", to).Where("(ap.ends_at > ? OR ap.starts_at >= ?)", from, from).
		// The staff rows carry the range: read only those ending from
		// the start on (the condition above implies it) and starting
		// before the end, from their index, not every appointment of the
		// staff. No appointment lasts longer than maxStoredSpan, so
		// those end before the end plus that: the index range on ends_at
		// is bounded at both ends, and an old month does not read every
		// later appointment of its staff.
		Where("st.ends_at >= ?", from).Where("st.ends_at < ?", to.Add(maxStoredSpan)).Where("st.starts_at < ?", to)
	if err := apPred.Apply(aq).Scan(ctx, &aps); err != nil {
		return nil, storage.Err(err)
	}
	for i := range aps {
		r := &aps[i]
		out.Entries = append(out.Entries, CalendarEntry{
			Kind: EntryAppointment, ID: r.ID, Staff: r.Staff, Title: r.Title, Start: r.StartsAt.UTC(), End: r.EndsAt.UTC(),
			AllDay: r.AllDay, Place: r.Place, Customer: r.Customer, CustomerName: r.customerName(), Channel: r.Channel,
			Direct: Direct(r.Direct), Record: r.Record, Version: r.Version,
		})
	}

	// Records: each on the calendars of its responders and of its
	// customer's assignees, dated by the actual time, else the planned
	// time (occurred_at holds exactly that when either is set). One arm
	// per role, each reading the records once, united without duplicates
	// (a responder who is also an assignee): the responders' records of
	// the range come from their people rows, which carry the record's
	// occurred_at (one index range per person); the assignees' from their
	// customers' records of the range.
	recPred, err := s.authz.Predicate(ctx, pr, contactlog.RecordTable("r"))
	if err != nil {
		return nil, err
	}
	recordArm := func(staffCol, join string, where func(*bun.SelectQuery) *bun.SelectQuery) *bun.SelectQuery {
		q := s.db.NewSelect().TableExpr("contact_records AS r").
			ColumnExpr("r.id, "+staffCol+" AS staff_id, r.customer_id, r.channel, r.planned_at, r.actual_at, r.version, "+custCols).
			Join(join).Join(custJoin("r"), custPred.Args...).
			Where("r.tenant_id = ?", pr.Tenant).Where("r.deleted_at IS NULL").
			Where("r.occurred_at >= ?", from).Where("r.occurred_at < ?", to).
			Where("(r.actual_at IS NOT NULL OR r.planned_at IS NOT NULL)")
		return recPred.Apply(where(q))
	}
	ca := customer.AssigneeRef{Alias: "ca"}
	responders := recordArm("pp.user_id", "JOIN contact_record_people AS pp ON pp.tenant_id = r.tenant_id AND pp.record_id = r.id",
		func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("pp.tenant_id = ?", pr.Tenant).Where("pp.role = 'responder'").Where("pp.user_id IN (?)", bun.List(staff)).
				Where("pp.occurred_at >= ?", from).Where("pp.occurred_at < ?", to)
		})
	assignees := recordArm(ca.User(), "JOIN "+ca.From()+" ON "+ca.Tenant()+" = r.tenant_id AND "+ca.Customer()+" = r.customer_id",
		func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where(ca.Tenant()+" = ?", pr.Tenant).Where(ca.User()+" IN (?)", bun.List(staff))
		})
	var recs []calendarRow
	if err := responders.Union(assignees).Scan(ctx, &recs); err != nil {
		return nil, storage.Err(err)
	}
	for i := range recs {
		r := &recs[i]
		at := r.ActualAt
		if at.IsZero() {
			at = r.PlannedAt
		}
		out.Entries = append(out.Entries, CalendarEntry{
			Kind: EntryRecord, ID: r.ID, Staff: r.Staff, Start: at.UTC(), End: at.UTC(), Customer: r.Customer,
			CustomerName: r.customerName(), Channel: r.Channel, Planned: r.ActualAt.IsZero(), Version: r.Version,
		})
	}
	// IDs compare as bytes (their text's order) and calendars by their
	// position in staff, looked up once: a group's month sorts thousands.
	pos := make(map[uuid.UUID]int, len(staff))
	for i, id := range staff {
		pos[id] = i
	}
	slices.SortFunc(out.Entries, func(a, b CalendarEntry) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Kind, b.Kind), bytes.Compare(a.ID[:], b.ID[:]),
			pos[a.Staff]-pos[b.Staff])
	})
	return out, nil
}
