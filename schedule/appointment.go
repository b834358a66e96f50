package schedule

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// Limits of an AppointmentInput, refused beyond with a *ValidationError.
const (
	MaxPlaceLen           = 200  // runes
	MaxAppointmentMemoLen = 5000 // runes
	MaxContactPersons     = 20   // names
	MaxContactPersonLen   = 100  // runes per name
	MaxAppointmentStaff   = 50   // staff members
	MaxScopeTargets       = 100  // scope targets
	MaxAppointmentDays    = 366  // from the start to the end
	maxAppointmentSpan    = MaxAppointmentDays * 24 * time.Hour
	// maxStoredSpan bounds ends_at − starts_at of every stored
	// appointment: maxAppointmentSpan, plus the day an all-day one's end
	// is moved to and a zone's offset change.
	maxStoredSpan = maxAppointmentSpan + 48*time.Hour
)

// Direct is the 直行・直帰 mark of an appointment: the staff member goes
// there straight from home, goes home straight from there, or both.
type Direct string

// Direct marks. The zero value is no mark.
const (
	DirectNone   Direct = ""       // 通常 (from and back to the office)
	DirectGo     Direct = "go"     // 直行
	DirectReturn Direct = "return" // 直帰
	DirectBoth   Direct = "both"   // 直行直帰
)

// AppointmentInput is what staff enter for an appointment (予定).
type AppointmentInput struct {
	// Title, e.g. 定期訪問. Required, at most MaxTitleLen runes; trimmed.
	Title string `json:"title"`
	// Start and End are the time range. Start is required; a zero End
	// means Start (a point in time); End may not be before Start nor more
	// than MaxAppointmentDays after it. With AllDay only their days count,
	// taken in the tenant's zone: Start's day to End's day, both
	// included, stored and returned as those days' midnights.
	Start time.Time `json:"start"`
	End   time.Time `json:"end,omitzero"`
	// AllDay marks an all-day appointment (終日).
	AllDay bool `json:"all_day,omitempty"`
	// Place (場所), at most MaxPlaceLen runes; trimmed.
	Place string `json:"place,omitempty"`
	// Staff are the staff members whose calendars show the appointment,
	// who always see it and may edit it: active staff of the tenant, at
	// most MaxAppointmentStaff. Default on create: the principal.
	Staff []uuid.UUID `json:"staff,omitempty"`
	// Customer the appointment is with; zero for an internal one. It must
	// be a customer the principal sees.
	Customer uuid.UUID `json:"customer,omitzero"`
	// ContactPersons are the customer's people (先方担当者) by name: at most
	// MaxContactPersons of MaxContactPersonLen runes; blank ones are
	// dropped.
	ContactPersons []string `json:"contact_persons,omitempty"`
	// Channel is a code of the tenant's 対応形態 master (contactlog
	// MasterChannel); empty means unset. Archived codes are accepted only
	// where the appointment already carries them.
	Channel string `json:"channel,omitempty"`
	// Memo, plain text, at most MaxAppointmentMemoLen runes.
	Memo string `json:"memo,omitempty"`
	// Direct is the 直行・直帰 mark.
	Direct Direct `json:"direct,omitempty"`
	// Scope is who besides the author, the staff and the managers of the
	// author's groups sees the appointment, with the same rules as a
	// contact record's (permission.Scope; the zero Scope is the whole
	// company). To anyone else it does not exist.
	Scope permission.Scope `json:"scope"`
	// Confidential appointments (e.g. 商談) are never shown to partners.
	Confidential bool `json:"confidential,omitempty"`
}

// Appointment is a stored appointment.
type Appointment struct {
	AppointmentInput
	ID     uuid.UUID `json:"id"`
	Tenant uuid.UUID `json:"tenant"`
	// Record is the contact record made from the appointment (予定 →
	// 実績, RecordFromAppointment); zero until then.
	Record uuid.UUID `json:"record,omitzero"`
	// Source is the record whose 次回予定 this appointment is (PlanNext,
	// LinkNext); zero otherwise.
	Source    uuid.UUID  `json:"source,omitzero"`
	Author    uuid.UUID  `json:"author"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	UpdatedBy uuid.UUID  `json:"updated_by"`
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
	// Version increases with every change; pass it back to the calls that
	// change the appointment (optimistic locking).
	Version int64 `json:"version"`
}

type appointmentRow struct {
	bun.BaseModel `bun:"table:schedule_appointments,alias:ap"`

	Tenant         uuid.UUID            `bun:"tenant_id,pk"`
	ID             uuid.UUID            `bun:"id,pk"`
	Title          string               `bun:"title"`
	StartsAt       time.Time            `bun:"starts_at"`
	EndsAt         time.Time            `bun:"ends_at"`
	AllDay         bool                 `bun:"all_day"`
	Place          string               `bun:"place"`
	Customer       uuid.UUID            `bun:"customer_id,nullzero"`
	ContactPersons []string             `bun:"contact_persons,type:jsonb"`
	Channel        string               `bun:"channel"`
	Memo           string               `bun:"memo"`
	Direct         string               `bun:"direct"`
	ScopeKind      permission.ScopeKind `bun:"scope_kind"`
	Confidential   bool                 `bun:"confidential"`
	Record         uuid.UUID            `bun:"record_id,nullzero"`
	Source         uuid.UUID            `bun:"source_record_id,nullzero"`
	Author         uuid.UUID            `bun:"author_id"`
	CreatedAt      time.Time            `bun:"created_at"`
	UpdatedAt      time.Time            `bun:"updated_at"`
	UpdatedBy      uuid.UUID            `bun:"updated_by"`
	DeletedAt      *time.Time           `bun:"deleted_at"`
	DeletedBy      *uuid.UUID           `bun:"deleted_by"`
	Version        int64                `bun:"version"`
}

type appointmentStaffRow struct {
	bun.BaseModel `bun:"table:schedule_appointment_staff,alias:ast"`
	Tenant        uuid.UUID `bun:"tenant_id,pk"`
	Appointment   uuid.UUID `bun:"record_id,pk"`
	User          uuid.UUID `bun:"user_id,pk"`
	Position      int       `bun:"position"`
	// StartsAt and EndsAt are the appointment's (appointmentRow's),
	// copied so that a staff member's appointments of a period are one
	// index range.
	StartsAt time.Time `bun:"starts_at"`
	EndsAt   time.Time `bun:"ends_at"`
}

type appointmentScopeRow struct {
	bun.BaseModel `bun:"table:schedule_appointment_scope,alias:asp"`
	Tenant        uuid.UUID `bun:"tenant_id,pk"`
	Appointment   uuid.UUID `bun:"record_id,pk"`
	Target        uuid.UUID `bun:"target_id,pk"`
}

// appointmentTable is schedule_appointments (alias ap) for the
// authorizer's predicate: appointments follow the records' rules, their
// staff being the people who always see them.
var appointmentTable = &permission.RecordTable{
	Alias: "ap", ID: "id", Tenant: "tenant_id", Author: "author_id", Customer: "customer_id",
	ScopeKind: "scope_kind", Confidential: "confidential", Shared: "shared",
	PeopleTable: "schedule_appointment_staff", ScopeTable: "schedule_appointment_scope",
}

func appointmentTableFor(action permission.Action) *permission.RecordTable {
	t := *appointmentTable
	t.Action = action
	return &t
}

func (r *appointmentRow) appointment(loc *time.Location) Appointment {
	a := Appointment{
		AppointmentInput: AppointmentInput{
			Title: r.Title, Start: r.StartsAt.UTC(), End: r.EndsAt.UTC(), AllDay: r.AllDay, Place: r.Place,
			Customer: r.Customer, ContactPersons: r.ContactPersons, Channel: r.Channel, Memo: r.Memo,
			Direct: Direct(r.Direct), Scope: permission.Scope{Kind: r.ScopeKind}, Confidential: r.Confidential,
		},
		ID: r.ID, Tenant: r.Tenant, Record: r.Record, Source: r.Source, Author: r.Author,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), UpdatedBy: r.UpdatedBy, DeletedAt: r.DeletedAt, Version: r.Version,
	}
	if r.AllDay {
		// Stored as the midnight after the last day; returned as the last
		// day's midnight, so that passing it back changes nothing.
		a.End = DateOf(r.EndsAt.In(loc)).AddDays(-1).In(loc).UTC()
	}
	if len(a.ContactPersons) == 0 {
		a.ContactPersons = nil
	}
	return a
}

// object is what the authorizer needs to know of a, looking up the
// assignees of its customer in db.
func (a *Appointment) object(ctx context.Context, db bun.IDB) (*permission.RecordObject, error) {
	as, err := assignees(ctx, db, a.Tenant, a.Customer)
	if err != nil {
		return nil, err
	}
	return &permission.RecordObject{Tenant: a.Tenant, ID: a.ID, Customer: a.Customer, Author: a.Author,
		People: a.Staff, Scope: a.Scope, Confidential: a.Confidential, CustomerAssignees: as}, nil
}

// recordsOn returns the contact-record engine bound to db, or an error when
// Config.Records is unset.
func (s *Service) recordsOn(db bun.IDB) (*contactlog.Service, error) {
	if s.cfg.Records == nil {
		return nil, fmt.Errorf("schedule: Config.Records is required for appointments: %w", ErrInvalid)
	}
	return s.cfg.Records.WithDB(db), nil
}

// checkAppointment validates in for pr (prev is the stored appointment on
// update, nil on create) and returns it normalized.
func (s *Service) checkAppointment(ctx context.Context, db bun.IDB, pr permission.Principal, in AppointmentInput, prev *Appointment) (AppointmentInput, error) {
	records, err := s.recordsOn(db)
	if err != nil {
		return in, err
	}
	var v validation.Error
	loc := s.location(pr)
	in.Title = checkText(&v, "title", in.Title, MaxTitleLen, true)
	in.Place = checkText(&v, "place", in.Place, MaxPlaceLen, false)
	in.Memo = checkBody(&v, "memo", in.Memo, MaxAppointmentMemoLen, false)

	// Times.
	if in.End.IsZero() {
		in.End = in.Start
	}
	if in.Start.IsZero() {
		v.Add("start", validation.CodeRequired, "")
	}
	for _, f := range []struct {
		name string
		at   *time.Time
	}{{"start", &in.Start}, {"end", &in.End}} {
		*f.at = f.at.UTC().Truncate(time.Microsecond)
		if !f.at.IsZero() && (f.at.Year() < 1900 || f.at.Year() > 2200) {
			v.Add(f.name, validation.CodeOutOfRange, "1900..2200")
		}
	}
	if in.AllDay {
		in.Start = DateOf(in.Start.In(loc)).In(loc).UTC()
		in.End = DateOf(in.End.In(loc)).In(loc).UTC()
	}
	switch {
	case in.End.Before(in.Start):
		v.Add("end", validation.CodeOutOfRange, "start..")
	case in.End.Sub(in.Start) > maxAppointmentSpan:
		v.Add("end", validation.CodeOutOfRange, fmt.Sprintf("..%d days", MaxAppointmentDays))
	}

	// Names.
	var names []string
	for _, n := range in.ContactPersons {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		field := fmt.Sprintf("contact_persons[%d]", len(names))
		if v.CheckText(field, n, false) && utf8.RuneCountInString(n) > MaxContactPersonLen {
			v.Add(field, validation.CodeTooLong, strconv.Itoa(MaxContactPersonLen))
		}
		names = append(names, n)
	}
	if len(names) > MaxContactPersons {
		v.Add("contact_persons", validation.CodeTooMany, strconv.Itoa(MaxContactPersons))
	}
	in.ContactPersons = names

	switch in.Direct {
	case DirectNone, DirectGo, DirectReturn, DirectBoth:
	default:
		v.Add("direct", validation.CodeUnknown, string(in.Direct))
	}

	// Channel master.
	if in.Channel != "" {
		items, err := records.Masters().List(ctx, contactlog.MasterChannel)
		if err != nil {
			return in, err
		}
		i := slices.IndexFunc(items, func(m contactlog.MasterItem) bool { return m.Code == in.Channel })
		switch {
		case i < 0:
			v.Add("channel", validation.CodeUnknown, in.Channel)
		case items[i].Archived && (prev == nil || prev.Channel != in.Channel):
			v.Add("channel", validation.CodeNotAllowed, in.Channel)
		}
	}

	// Staff and scope: what is new must exist in the directory.
	if prev == nil && len(in.Staff) == 0 {
		in.Staff = []uuid.UUID{pr.User}
	}
	in.Staff = cleanIDs(&v, "staff", in.Staff, MaxAppointmentStaff)
	if len(in.Staff) == 0 {
		v.Add("staff", validation.CodeRequired, "")
	}
	var known []uuid.UUID
	if prev != nil {
		known = prev.Staff
	}
	unknown, err := permission.UnknownStaff(ctx, db, pr.Tenant, minus(in.Staff, known))
	if err != nil {
		return in, err
	}
	for _, u := range unknown {
		v.Add("staff", validation.CodeUnknown, u.String())
	}
	if in.Scope.Kind == "" {
		in.Scope.Kind = permission.ScopeCompany
	}
	switch in.Scope.Kind {
	case permission.ScopeCompany:
		if len(in.Scope.Targets) > 0 {
			v.Add("scope.targets", validation.CodeNotAllowed, "")
		}
		in.Scope.Targets = nil
	case permission.ScopeOrgUnits, permission.ScopeGroups, permission.ScopeUsers:
		in.Scope.Targets = cleanIDs(&v, "scope.targets", in.Scope.Targets, MaxScopeTargets)
		if len(in.Scope.Targets) == 0 {
			v.Add("scope.targets", validation.CodeRequired, "")
		}
		check := in.Scope.Targets
		if prev != nil && prev.Scope.Kind == in.Scope.Kind {
			check = minus(check, prev.Scope.Targets)
		}
		unknown, err := permission.UnknownScopeTargets(ctx, db, pr.Tenant, in.Scope.Kind, check)
		if err != nil {
			return in, err
		}
		for _, t := range unknown {
			v.Add("scope.targets", validation.CodeUnknown, t.String())
		}
	default:
		v.Add("scope.kind", validation.CodeUnknown, string(in.Scope.Kind))
	}

	// Customer.
	if in.Customer != uuid.Nil && (prev == nil || prev.Customer != in.Customer) {
		ok, err := s.customerVisible(ctx, db, pr, in.Customer)
		if err != nil {
			return in, err
		}
		if !ok {
			v.Add("customer", validation.CodeUnknown, in.Customer.String())
		}
	}
	return in, v.Err()
}

// cleanIDs drops duplicates (keeping the first) and reports nil IDs and
// lists longer than limit under field.
func cleanIDs(v *validation.Error, field string, ids []uuid.UUID, limit int) []uuid.UUID {
	var out []uuid.UUID
	for _, id := range ids {
		switch {
		case id == uuid.Nil:
			v.Add(field, validation.CodeInvalidUUID, "")
		case !slices.Contains(out, id):
			out = append(out, id)
		}
	}
	if len(out) > limit {
		v.Add(field, validation.CodeTooMany, strconv.Itoa(limit))
	}
	return out
}

// minus returns the IDs of a that are not in b.
func minus(a, b []uuid.UUID) []uuid.UUID {
	var out []uuid.UUID
	for _, id := range a {
		if !slices.Contains(b, id) {
			out = append(out, id)
		}
	}
	return out
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// CreateAppointment registers an appointment by the staff principal (its
// author). Fields are checked as AppointmentInput documents, every problem
// reported at once in a *ValidationError. Needs Config.Records.
func (s *Service) CreateAppointment(ctx context.Context, in AppointmentInput) (*Appointment, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out *Appointment
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		out, err = s.createAppointment(ctx, tx, pr, in, uuid.Nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("schedule: create appointment: %w", err)
	}
	return out, nil
}

// createAppointment stores in (planned as the next contact of the record
// source, if not zero) in tx.
func (s *Service) createAppointment(ctx context.Context, tx bun.IDB, pr permission.Principal, in AppointmentInput, source uuid.UUID) (*Appointment, error) {
	in, err := s.checkAppointment(ctx, tx, pr, in, nil)
	if err != nil {
		return nil, err
	}
	now := s.now()
	a := &Appointment{AppointmentInput: in, ID: uuid.Must(uuid.NewV7()), Tenant: pr.Tenant, Source: source,
		Author: pr.User, CreatedAt: now, UpdatedAt: now, UpdatedBy: pr.User, Version: 1}
	obj, err := a.object(ctx, tx)
	if err != nil {
		return nil, err
	}
	if err := s.authz.Check(ctx, pr, permission.ActionCreate, obj); err != nil {
		return nil, err
	}
	row := s.toAppointmentRow(pr, a)
	if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
		return nil, err
	}
	if err := writeAppointmentSides(ctx, tx, a, &row, false); err != nil {
		return nil, err
	}
	return a, s.audit(ctx, tx, pr, "create", "appointment", a.ID, "")
}

func (s *Service) toAppointmentRow(pr permission.Principal, a *Appointment) appointmentRow {
	end := a.End
	if a.AllDay {
		end = DateOf(end.In(s.location(pr))).AddDays(1).In(s.location(pr)).UTC()
	}
	names := a.ContactPersons
	if names == nil {
		names = []string{}
	}
	return appointmentRow{
		Tenant: a.Tenant, ID: a.ID, Title: a.Title, StartsAt: a.Start, EndsAt: end, AllDay: a.AllDay, Place: a.Place,
		Customer: a.Customer, ContactPersons: names, Channel: a.Channel, Memo: a.Memo, Direct: string(a.Direct),
		ScopeKind: a.Scope.Kind, Confidential: a.Confidential, Record: a.Record, Source: a.Source, Author: a.Author,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, UpdatedBy: a.UpdatedBy, DeletedAt: a.DeletedAt, Version: a.Version,
	}
}

// writeAppointmentSides writes a's staff and scope rows, replacing the old
// ones when replace is set; the staff rows carry the range of row, a's
// stored row, so every update of a — a changed time included — rewrites
// them.
func writeAppointmentSides(ctx context.Context, tx bun.IDB, a *Appointment, row *appointmentRow, replace bool) error {
	if replace {
		for _, m := range []any{(*appointmentStaffRow)(nil), (*appointmentScopeRow)(nil)} {
			if _, err := tx.NewDelete().Model(m).Where("tenant_id = ?", a.Tenant).Where("record_id = ?", a.ID).Exec(ctx); err != nil {
				return err
			}
		}
	}
	staff := make([]appointmentStaffRow, len(a.Staff))
	for i, u := range a.Staff {
		staff[i] = appointmentStaffRow{Tenant: a.Tenant, Appointment: a.ID, User: u, Position: i, StartsAt: row.StartsAt, EndsAt: row.EndsAt}
	}
	if _, err := tx.NewInsert().Model(&staff).Exec(ctx); err != nil {
		return err
	}
	if len(a.Scope.Targets) > 0 {
		scope := make([]appointmentScopeRow, len(a.Scope.Targets))
		for i, t := range a.Scope.Targets {
			scope[i] = appointmentScopeRow{Tenant: a.Tenant, Appointment: a.ID, Target: t}
		}
		if _, err := tx.NewInsert().Model(&scope).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// UpdateAppointment replaces an appointment's fields at version
// (ErrConflict when it changed since). Its author, its staff, managers of
// the author's groups and admins may (ErrPermissionDenied for others who
// see it, ErrNotFound for the rest). The links to records stay.
func (s *Service) UpdateAppointment(ctx context.Context, id uuid.UUID, version int64, in AppointmentInput) (*Appointment, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out *Appointment
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		cur, err := s.editableAppointment(ctx, tx, pr, id, false)
		if err != nil {
			return err
		}
		if in, err = s.checkAppointment(ctx, tx, pr, in, cur); err != nil {
			return err
		}
		a := *cur
		a.AppointmentInput = in
		a.UpdatedAt, a.UpdatedBy, a.Version = s.now(), pr.User, version+1
		obj, err := a.object(ctx, tx)
		if err != nil {
			return err
		}
		if err := s.authz.Check(ctx, pr, permission.ActionEdit, obj); err != nil {
			// The change would take the appointment out of the principal's
			// reach (e.g. a confidential one for a partner).
			return ErrPermissionDenied
		}
		if err := s.saveAppointment(ctx, tx, pr, &a, version); err != nil {
			return err
		}
		row := s.toAppointmentRow(pr, &a)
		if err := writeAppointmentSides(ctx, tx, &a, &row, true); err != nil {
			return err
		}
		out = &a
		return s.audit(ctx, tx, pr, "update", "appointment", id, "")
	})
	if err != nil {
		return nil, fmt.Errorf("schedule: update appointment %s: %w", id, err)
	}
	return out, nil
}

// saveAppointment writes a's row over the one at version.
func (s *Service) saveAppointment(ctx context.Context, tx bun.IDB, pr permission.Principal, a *Appointment, version int64) error {
	row := s.toAppointmentRow(pr, a)
	res, err := tx.NewUpdate().Model(&row).ExcludeColumn("tenant_id", "id", "author_id", "created_at", "deleted_at", "deleted_by", "version").
		Set("version = version + 1").WherePK().Where("version = ?", version).Where("deleted_at IS NULL").Exec(ctx)
	return storage.Affected(res, err, ErrConflict)
}

// DeleteAppointment moves an appointment at version to the trash
// (RestoreAppointment brings it back); the same people as
// UpdateAppointment may.
func (s *Service) DeleteAppointment(ctx context.Context, id uuid.UUID, version int64) error {
	return s.setAppointmentDeleted(ctx, id, version, true)
}

// RestoreAppointment takes an appointment at version out of the trash.
func (s *Service) RestoreAppointment(ctx context.Context, id uuid.UUID, version int64) error {
	return s.setAppointmentDeleted(ctx, id, version, false)
}

func (s *Service) setAppointmentDeleted(ctx context.Context, id uuid.UUID, version int64, deleted bool) error {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return err
	}
	what := map[bool]string{true: "delete", false: "restore"}[deleted]
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		cur, err := s.editableAppointment(ctx, tx, pr, id, !deleted)
		if err != nil {
			return err
		}
		if (cur.DeletedAt != nil) == deleted {
			return ErrConflict
		}
		if err := storage.SetDeleted(ctx, tx, (*appointmentRow)(nil), pr.Tenant, id, version, pr.User, s.now(), deleted); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, what, "appointment", id, "")
	})
	if err != nil {
		return fmt.Errorf("schedule: %s appointment %s: %w", what, id, err)
	}
	return nil
}

// Appointment returns an appointment that is not deleted and that the
// principal sees (ErrNotFound otherwise).
func (s *Service) Appointment(ctx context.Context, id uuid.UUID) (*Appointment, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.appointment(ctx, s.db, pr, id, permission.ActionView, false)
	if err != nil {
		return nil, fmt.Errorf("schedule: appointment %s: %w", id, err)
	}
	return a, nil
}

// editableAppointment loads an appointment pr may change: ErrNotFound when
// pr does not see it, ErrPermissionDenied when pr sees it but may not edit
// it. trashed selects deleted appointments instead of live ones.
func (s *Service) editableAppointment(ctx context.Context, db bun.IDB, pr permission.Principal, id uuid.UUID, trashed bool) (*Appointment, error) {
	a, err := s.appointment(ctx, db, pr, id, permission.ActionEdit, trashed)
	if err == nil || !isNotFound(err) {
		return a, err
	}
	if _, err := s.appointment(ctx, db, pr, id, permission.ActionView, trashed); err != nil {
		return nil, err
	}
	return nil, ErrPermissionDenied
}

// appointment loads an appointment with its staff and scope, if pr may do
// action on it; trashed selects deleted ones instead of live ones.
func (s *Service) appointment(ctx context.Context, db bun.IDB, pr permission.Principal, id uuid.UUID, action permission.Action, trashed bool) (*Appointment, error) {
	pred, err := s.authz.Predicate(ctx, pr, appointmentTableFor(action))
	if err != nil {
		return nil, err
	}
	var row appointmentRow
	q := db.NewSelect().Model(&row).Where("ap.tenant_id = ?", pr.Tenant).Where("ap.id = ?", id)
	if trashed {
		q.Where("ap.deleted_at IS NOT NULL")
	} else {
		q.Where("ap.deleted_at IS NULL")
	}
	if err := pred.Apply(q).Scan(ctx); err != nil {
		return nil, storage.Err(err)
	}
	as := []Appointment{row.appointment(s.location(pr))}
	if err := s.appointmentSides(ctx, db, pr.Tenant, as); err != nil {
		return nil, err
	}
	return &as[0], nil
}

// appointmentSides fills in the staff and scope targets of as.
func (s *Service) appointmentSides(ctx context.Context, db bun.IDB, tenant uuid.UUID, as []Appointment) error {
	if len(as) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(as))
	at := make(map[uuid.UUID]int, len(as))
	for i := range as {
		ids[i], at[as[i].ID] = as[i].ID, i
	}
	var staff []appointmentStaffRow
	if err := db.NewSelect().Model(&staff).Where("ast.tenant_id = ?", tenant).Where("ast.record_id IN (?)", bun.List(ids)).
		OrderExpr("ast.record_id, ast.position").Scan(ctx); err != nil {
		return storage.Err(err)
	}
	for _, r := range staff {
		a := &as[at[r.Appointment]]
		a.Staff = append(a.Staff, r.User)
	}
	var scope []appointmentScopeRow
	if err := db.NewSelect().Model(&scope).Where("asp.tenant_id = ?", tenant).Where("asp.record_id IN (?)", bun.List(ids)).
		OrderExpr("asp.record_id, asp.target_id").Scan(ctx); err != nil {
		return storage.Err(err)
	}
	for _, r := range scope {
		a := &as[at[r.Appointment]]
		a.Scope.Targets = append(a.Scope.Targets, r.Target)
	}
	return nil
}

// CustomerAppointments returns a customer's appointments that end at or
// after now and that the principal sees, soonest first, at most limit
// (1–MaxPageSize; 0 means 20): the 予定 of the customer page. ErrNotFound
// when the customer does not exist or is hidden from the principal.
func (s *Service) CustomerAppointments(ctx context.Context, cust uuid.UUID, limit int) ([]Appointment, error) {
	return s.customerAppointments(ctx, cust, limit, false)
}

// CustomerPastAppointments returns a customer's appointments that ended
// before now and that the principal sees, the latest first, at most limit
// (1–MaxPageSize; 0 means 20): the past 予定 of the customer page, each
// with the record made from it, if any. ErrNotFound as for
// CustomerAppointments.
func (s *Service) CustomerPastAppointments(ctx context.Context, cust uuid.UUID, limit int) ([]Appointment, error) {
	return s.customerAppointments(ctx, cust, limit, true)
}

func (s *Service) customerAppointments(ctx context.Context, cust uuid.UUID, limit int, past bool) ([]Appointment, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	if limit == 0 {
		limit = 20
	}
	out, err := func() ([]Appointment, error) {
		if limit < 1 || limit > s.cfg.MaxPageSize {
			return nil, fmt.Errorf("limit %d is not 1–%d: %w", limit, s.cfg.MaxPageSize, ErrInvalid)
		}
		ok, err := s.customerVisible(ctx, s.db, pr, cust)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrNotFound
		}
		return s.appointments(ctx, pr, limit, func(q *bun.SelectQuery) *bun.SelectQuery {
			q.Where("ap.customer_id = ?", cust)
			if past {
				return q.Where("ap.ends_at < ?", s.now()).OrderExpr("ap.starts_at DESC, ap.id DESC")
			}
			return q.Where("ap.ends_at >= ?", s.now()).OrderExpr("ap.starts_at, ap.id")
		})
	}()
	if err != nil {
		return nil, fmt.Errorf("schedule: customer appointments %s: %w", cust, err)
	}
	return out, nil
}

// NextAppointments returns the appointments planned as the next contact
// (次回予定) of the contact record id (PlanNext, LinkNext) that the
// principal sees, soonest first, at most MaxPageSize: the 次回の予定 of
// the record's page.
func (s *Service) NextAppointments(ctx context.Context, id uuid.UUID) ([]Appointment, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	out, err := s.appointments(ctx, pr, s.cfg.MaxPageSize, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("ap.source_record_id = ?", id).OrderExpr("ap.starts_at, ap.id")
	})
	if err != nil {
		return nil, fmt.Errorf("schedule: next appointments of %s: %w", id, err)
	}
	return out, nil
}

// MadeFromAppointment returns the appointment the contact record id was
// made from (RecordFromAppointment): the 元の予定 the record's page names.
// ErrNotFound when the record was not made from one, or the principal
// does not see it.
func (s *Service) MadeFromAppointment(ctx context.Context, id uuid.UUID) (*Appointment, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	as, err := s.appointments(ctx, pr, 1, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("ap.record_id = ?", id)
	})
	if err == nil && len(as) == 0 {
		err = ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("schedule: appointment of record %s: %w", id, err)
	}
	return &as[0], nil
}

// appointments lists at most limit live appointments that pr sees,
// selected and ordered by where, with their staff and scope.
func (s *Service) appointments(ctx context.Context, pr permission.Principal, limit int, where func(*bun.SelectQuery) *bun.SelectQuery) ([]Appointment, error) {
	pred, err := s.authz.Predicate(ctx, pr, appointmentTable)
	if err != nil {
		return nil, err
	}
	var rows []appointmentRow
	q := s.db.NewSelect().Model(&rows).Where("ap.tenant_id = ?", pr.Tenant).Where("ap.deleted_at IS NULL").Limit(int64(limit))
	if err := pred.Apply(where(q)).Scan(ctx); err != nil {
		return nil, storage.Err(err)
	}
	out := make([]Appointment, len(rows))
	for i := range rows {
		out[i] = rows[i].appointment(s.location(pr))
	}
	return out, s.appointmentSides(ctx, s.db, pr.Tenant, out)
}
