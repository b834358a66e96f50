package schedule

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

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
	// PerDay, when positive, limits each cell of the answer — one staff
	// member's day, From to To in the tenant's zone — to its first PerDay
	// entries in the order of Calendar.Entries, and Calendar.More counts
	// the rest of each cell (「他N件」), among the entries the principal
	// sees. An entry is in the cell of every day it touches: its start's
	// day to the day its end falls in (an end at midnight does not reach
	// that day). With PerDay, an entry is listed once per cell it is shown
	// in, CalendarEntry.Day naming the day. 0 lists every entry once.
	PerDay int
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
	// Day is, with CalendarQuery.PerDay, the day cell the entry is
	// listed for; zero without it.
	Day Date `json:"day,omitzero"`
}

// CalendarMore counts the entries of a cell — one staff member's day —
// beyond CalendarQuery.PerDay (「他N件」).
type CalendarMore struct {
	Staff uuid.UUID `json:"staff"`
	Day   Date      `json:"day"`
	// Count is how many entries of the cell are not listed (at least 1).
	Count int `json:"count"`
}

// Calendar is the answer to a CalendarQuery.
type Calendar struct {
	From Date `json:"from"`
	To   Date `json:"to"`
	// Staff are the calendars read, in the order asked (the group's
	// members after Staff, by name).
	Staff []uuid.UUID `json:"staff"`
	// Entries by Start, then kind (appointments first), ID, staff and
	// Day.
	Entries []CalendarEntry `json:"entries"`
	// More are, with CalendarQuery.PerDay, the cells with more entries
	// than that, by staff (in the order of Staff) and day; none without
	// it.
	More []CalendarMore `json:"more,omitempty"`
	// Holidays are the Japanese public holidays between From and To.
	Holidays []Holiday `json:"holidays"`
}

// calendarRow is what the calendar query selects, scanned column by
// column (a group's month has thousands of rows; bun's struct scanning
// looked every column up by name).
type calendarRow struct {
	kind          string
	id, staff     uuid.UUID
	start, end    bun.NullTime // end is NULL for records
	allDay        bool
	title, place  sql.NullString // NULL for records
	customer      uuid.NullUUID
	channel       string
	direct        sql.NullString
	record        uuid.NullUUID
	planned       bool
	version       int64
	day, rank     int            // with CalendarQuery.PerDay: the cell's day (from From) and the entry's rank in it
	cell          int            // and how many entries the cell has
	customerKind  sql.NullString // the customer's name, when the principal sees the customer
	family, given sql.NullString
	company       sql.NullString
}

// dest lists the fields in the order of the query's columns.
func (r *calendarRow) dest(perDay bool) []any {
	d := []any{&r.kind, &r.id, &r.staff, &r.start, &r.end, &r.allDay, &r.title, &r.place, &r.customer, &r.channel, &r.direct,
		&r.record, &r.planned, &r.version}
	if perDay {
		d = append(d, &r.day, &r.rank, &r.cell)
	}
	return append(d, &r.customerKind, &r.family, &r.given, &r.company)
}

func (r *calendarRow) entry() CalendarEntry {
	e := CalendarEntry{Kind: EntryKind(r.kind), ID: r.id, Staff: r.staff, Title: r.title.String, Start: r.start.UTC(), End: r.end.UTC(),
		AllDay: r.allDay, Place: r.place.String, Customer: r.customer.UUID, Channel: r.channel, Direct: Direct(r.direct.String),
		Record: r.record.UUID, Planned: r.planned, Version: r.version}
	if r.end.IsZero() {
		e.End = e.Start // a record
	}
	if r.customerKind.Valid {
		c := customer.Customer{}
		c.Kind, c.FamilyName, c.GivenName, c.CompanyName = customer.Kind(r.customerKind.String), r.family.String, r.given.String, r.company.String
		e.CustomerName = c.DisplayName()
	}
	return e
}

// Calendar reads the calendars of q: the appointments of its staff and
// the contact records they responded to or whose customer they are
// assigned to, in one query, under the principal's visibility
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
	if q.PerDay < 0 {
		v.Add("per_day", validation.CodeOutOfRange, "0..")
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
	apPred, err := s.authz.Predicate(ctx, pr, appointmentTable)
	if err != nil {
		return nil, err
	}
	recPred, err := s.authz.Predicate(ctx, pr, contactlog.RecordTable("r"))
	if err != nil {
		return nil, err
	}

	// One query reads every entry the principal sees: the appointments
	// of the staff, united with the records (each on the calendars of its
	// responders and of its customer's assignees, dated by the actual
	// time, else the planned time: occurred_at holds exactly that when
	// either is set). The appointments' staff rows carry their range:
	// read only those ending from the start on (the range condition
	// implies it) and starting before the end, from their index, not
	// every appointment of the staff. No appointment lasts longer than
	// maxStoredSpan, so those end before the end plus that: the index
	// range on ends_at is bounded at both ends, and an old month does not
	// read every later appointment of its staff. The records are found
	// by their keys first, united without duplicates (a responder who is
	// also an assignee): the responders' from their people rows, which
	// carry the record's occurred_at (one index range per person); the
	// assignees' from the rows that put each live record under each
	// assignee of its customer, which carry it too
	// (contact_record_assignees, kept by contactlog's triggers: one index
	// range per person, where probing the records of each of their
	// customers took most of a group's month); both rows hold the
	// record's time as the record does, in the same transaction, so the
	// range is asked of them alone. Each (record, staff) pair
	// then reads its record once, under one visibility predicate (written
	// once, the statement is parsed and planned faster than with one per
	// role). Only what an entry shows is selected: a record's end (its
	// start) and its empty appointment fields come as NULL, its actual
	// time as the planned flag.
	aq := s.db.NewSelect().TableExpr("schedule_appointments AS ap").
		ColumnExpr("'appointment' AS kind, ap.tenant_id, ap.id, st.user_id AS staff_id, ap.starts_at, ap.ends_at, ap.all_day, ap.title, "+
			"ap.place, ap.customer_id, ap.channel, ap.direct, ap.record_id, false AS planned, ap.version").
		Join("JOIN schedule_appointment_staff AS st ON st.tenant_id = ap.tenant_id AND st.record_id = ap.id").
		Where("ap.tenant_id = ?", pr.Tenant).Where("st.user_id IN (?)", bun.List(staff)).Where("ap.deleted_at IS NULL").
		Where("ap.starts_at < ?", to).Where("(ap.ends_at > ? OR ap.starts_at >= ?)", from, from).
		Where("st.ends_at >= ?", from).Where("st.ends_at < ?", to.Add(maxStoredSpan)).Where("st.starts_at < ?", to)
	pairs := s.db.NewSelect().TableExpr("contact_record_people AS pp").ColumnExpr("pp.tenant_id, pp.record_id, pp.user_id").
		Where("pp.tenant_id = ?", pr.Tenant).Where("pp.role = 'responder'").Where("pp.user_id IN (?)", bun.List(staff)).
		Where("pp.occurred_at >= ?", from).Where("pp.occurred_at < ?", to).
		Union(s.db.NewSelect().TableExpr("contact_record_assignees AS ra").ColumnExpr("ra.tenant_id, ra.record_id, ra.user_id").
			Where("ra.tenant_id = ?", pr.Tenant).Where("ra.user_id IN (?)", bun.List(staff)).
			Where("ra.occurred_at >= ?", from).Where("ra.occurred_at < ?", to))
	records := recPred.Apply(s.db.NewSelect().TableExpr("(?) AS k", pairs).
		ColumnExpr("'record' AS kind, r.tenant_id, r.id, k.user_id AS staff_id, r.occurred_at AS starts_at, NULL AS ends_at, "+
			"false AS all_day, NULL AS title, NULL AS place, r.customer_id, r.channel, NULL AS direct, NULL AS record_id, "+
			"r.actual_at IS NULL AS planned, r.version").
		Join("JOIN contact_records AS r ON r.tenant_id = k.tenant_id AND r.id = k.record_id").
		Where("r.tenant_id = ?", pr.Tenant).Where("r.deleted_at IS NULL").
		Where("(r.actual_at IS NOT NULL OR r.planned_at IS NOT NULL)"))
	// The appointments come first: their columns type the records' NULLs
	// on PostgreSQL.
	all := apPred.Apply(aq).UnionAll(records)
	cols := "e.kind, e.id, e.staff_id, e.starts_at, e.ends_at, e.all_day, e.title, e.place, e.customer_id, e.channel, e.direct, " +
		"e.record_id, e.planned, e.version, "
	if q.PerDay > 0 {
		// The first PerDay entries of each cell, with each cell's count.
		cols += "e.day, e.rn, e.cell, "
		all = s.db.NewSelect().TableExpr("(?) AS e", s.firstPerDay(all, q.From, q.To, loc)).ColumnExpr("e.*").Where("e.rn <= ?", q.PerDay)
	}
	// The names of the entries' customers the principal sees, each read
	// once (a month of a group has a thousand entries of a few hundred
	// customers; a join of every entry hashed all the tenant's customers).
	ref := entryCustomer
	names := s.db.NewSelect().TableExpr(ref.From()).ColumnExpr(ref.Tenant()+", "+ref.ID()+", "+ref.NameColumns("c_")).
		Where("("+ref.Tenant()+", "+ref.ID()+") IN (SELECT e.tenant_id, e.customer_id FROM e)").Where(ref.Live()).
		Where(custPred.SQL, custPred.Args...)
	rows, err := storage.QueryBound(ctx, s.db, s.cfg.StatementCache, s.db.NewSelect().With("e", all).With("n", names).TableExpr("e").
		ColumnExpr(cols+"n.c_kind, n.c_family_name, n.c_given_name, n.c_company_name").
		Join("LEFT JOIN n ON n.tenant_id = e.tenant_id AND n.id = e.customer_id"))
	if err != nil {
		return nil, storage.Err(err)
	}
	defer rows.Close()
	// Each entry's sort key: the position of its calendar in staff looked
	// up once, IDs compared as bytes (their text's order).
	type key struct {
		start      int64
		kind       EntryKind
		id         uuid.UUID
		staff, day int
	}
	pos := make(map[uuid.UUID]int, len(staff))
	for i, id := range staff {
		pos[id] = i
	}
	var keys []key
	var r calendarRow
	dest := r.dest(q.PerDay > 0)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, storage.Err(err)
		}
		e := r.entry()
		if q.PerDay > 0 {
			e.Day = q.From.AddDays(r.day)
			if r.rank == 1 && r.cell > q.PerDay {
				out.More = append(out.More, CalendarMore{Staff: r.staff, Day: e.Day, Count: r.cell - q.PerDay})
			}
		}
		out.Entries = append(out.Entries, e)
		keys = append(keys, key{e.Start.UnixNano(), e.Kind, e.ID, pos[e.Staff], r.day})
	}
	if err := rows.Err(); err != nil {
		return nil, storage.Err(err)
	}
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		a, b := &keys[i], &keys[j]
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.kind, b.kind), bytes.Compare(a.id[:], b.id[:]),
			a.staff-b.staff, a.day-b.day)
	})
	sorted := make([]CalendarEntry, len(order))
	for i, k := range order {
		sorted[i] = out.Entries[k]
	}
	out.Entries = sorted
	slices.SortFunc(out.More, func(a, b CalendarMore) int {
		return cmp.Or(pos[a.Staff]-pos[b.Staff], compareDates(a.Day, b.Day))
	})
	return out, nil
}

// firstPerDay numbers the entries of all in each cell — a staff
// member's day of from..to in loc, an entry being on every day it
// touches (CalendarQuery.PerDay) — in the Entries order (rn, from 1), and
// counts each cell's entries (cell). The caller keeps the first rows of
// each cell by rn.
func (s *Service) firstPerDay(all *bun.SelectQuery, from, to Date, loc *time.Location) *bun.SelectQuery {
	var starts []time.Time // each day's first instant, and the end
	for d := from; !to.AddDays(1).Before(d); d = d.AddDays(1) {
		starts = append(starts, d.In(loc).UTC())
	}
	var days string
	var args []any
	if s.db.Dialect().Name() == dialect.PG {
		// Each entry's days from the binary search of width_bucket over
		// the days' first instants (1 for the first day): the first for
		// its start, the last for its last instant (the end exclusive
		// when after the start). Joining every entry with every day
		// compares a month's thousands of entries 30 times over.
		firsts := "ARRAY[" + strings.TrimSuffix(strings.Repeat("CAST(? AS TIMESTAMPTZ), ", len(starts)-1), ", ") + "]"
		// The limit (no entry has more days than the range) tells the
		// planner so: it takes 1 000 rows from a set-returning function,
		// and that estimate makes the query costly enough for JIT
		// compilation, which took seconds.
		days = "CROSS JOIN LATERAL (SELECT generate_series(greatest(width_bucket(e.starts_at, " + firsts + "), 1) - 1, " +
			"width_bucket(CASE WHEN e.ends_at > e.starts_at THEN e.ends_at - INTERVAL '1 microsecond' ELSE e.starts_at END, " +
			firsts + ") - 1) AS n LIMIT " + strconv.Itoa(len(starts)-1) + ") AS d"
		for range 2 {
			for _, t := range starts[:len(starts)-1] {
				args = append(args, t)
			}
		}
	} else {
		var list []string
		for n := range len(starts) - 1 {
			list = append(list, fmt.Sprintf("SELECT %d AS n, ? AS lo, ? AS hi", n))
			args = append(args, starts[n], starts[n+1])
		}
		days = "JOIN (" + strings.Join(list, " UNION ALL ") + ") AS d ON e.starts_at < d.hi AND (e.ends_at > d.lo OR e.starts_at >= d.lo)"
	}
	return s.db.NewSelect().TableExpr("(?) AS e", all).
		ColumnExpr("e.*, d.n AS day").
		ColumnExpr("row_number() OVER (PARTITION BY e.staff_id, d.n ORDER BY e.starts_at, e.kind, e.id) AS rn").
		ColumnExpr("count(*) OVER (PARTITION BY e.staff_id, d.n) AS cell").
		Join(days, args...)
}
