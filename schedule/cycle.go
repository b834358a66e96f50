package schedule

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// RecordFromAppointment writes the contact record of a meeting that was
// planned as the appointment id (予定 → 実績), at the appointment's version,
// and links the appointment to it (Appointment.Record), in one
// transaction. What e leaves empty is carried from the appointment: the
// customer, the contact persons, the channel, the responders (its staff),
// the scope, the planned time (its start) and, when the start has come,
// the actual time (its start). e.Template is the caller's choice. The
// principal must be allowed to edit the appointment; one that already has
// a record fails with ErrConflict. Needs Config.Records.
func (s *Service) RecordFromAppointment(ctx context.Context, id uuid.UUID, version int64, e contactlog.Entry) (*contactlog.Record, *Appointment, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, nil, err
	}
	var rec *contactlog.Record
	var out *Appointment
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		records, err := s.recordsOn(tx)
		if err != nil {
			return err
		}
		a, err := s.editableAppointment(ctx, tx, pr, id, false)
		if err != nil {
			return err
		}
		if a.Version != version || a.Record != uuid.Nil {
			return ErrConflict
		}
		entryCarried(&e).fillFrom(appointmentCarried(&a.AppointmentInput))
		if e.PlannedAt.IsZero() {
			e.PlannedAt = a.Start
		}
		if e.ActualAt.IsZero() && !a.Start.After(s.now()) {
			e.ActualAt = a.Start
		}
		if rec, err = records.Create(ctx, e); err != nil {
			return err
		}
		a.Record, a.UpdatedAt, a.UpdatedBy, a.Version = rec.ID, s.now(), pr.User, version+1
		if err := s.saveAppointment(ctx, tx, pr, a, version); err != nil {
			return err
		}
		out = a
		return s.audit(ctx, tx, pr, "record", "appointment", id, rec.ID.String())
	})
	if err != nil {
		return nil, nil, fmt.Errorf("schedule: record from appointment %s: %w", id, err)
	}
	return rec, out, nil
}

// PlanNext creates the next appointment (次回予定) of the contact record
// id, which the principal must see: what in leaves empty is carried from
// the record — the customer, the contact persons, the channel, the staff
// (its responders) and the scope. The appointment's Source is the record.
// Needs Config.Records.
func (s *Service) PlanNext(ctx context.Context, id uuid.UUID, in AppointmentInput) (*Appointment, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out *Appointment
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		rec, err := s.recordOn(ctx, tx, id)
		if err != nil {
			return err
		}
		appointmentCarried(&in).fillFrom(entryCarried(&rec.Entry))
		out, err = s.createAppointment(ctx, tx, pr, in, rec.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("schedule: plan next of %s: %w", id, err)
	}
	return out, nil
}

// LinkNext makes the existing appointment appointment, at version, the
// next appointment (次回予定) of the contact record id: the principal must
// see the record and may edit the appointment. Needs Config.Records.
func (s *Service) LinkNext(ctx context.Context, id, appointment uuid.UUID, version int64) (*Appointment, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	var out *Appointment
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		rec, err := s.recordOn(ctx, tx, id)
		if err != nil {
			return err
		}
		a, err := s.editableAppointment(ctx, tx, pr, appointment, false)
		if err != nil {
			return err
		}
		a.Source, a.UpdatedAt, a.UpdatedBy, a.Version = rec.ID, s.now(), pr.User, version+1
		if err := s.saveAppointment(ctx, tx, pr, a, version); err != nil {
			return err
		}
		out = a
		return s.audit(ctx, tx, pr, "link_next", "appointment", appointment, rec.ID.String())
	})
	if err != nil {
		return nil, fmt.Errorf("schedule: link next of %s: %w", id, err)
	}
	return out, nil
}

// CreateRecordWithCustomer registers a new customer and a contact record
// with them in one transaction — what a slot of the calendar offers when
// the person met is not a customer yet. The customer's name and its
// reading are required whatever the tenant's settings (customer.family_kana
// or, for a company, customer.company_kana); the customer's own problems
// are reported under "customer." + its field, the record's under its
// fields. e.Customer must be empty. Needs Config.Records and
// Config.Customers.
func (s *Service) CreateRecordWithCustomer(ctx context.Context, p customer.Profile, e contactlog.Entry) (*customer.Customer, *contactlog.Record, error) {
	if _, err := permission.RequireStaff(ctx); err != nil {
		return nil, nil, err
	}
	var cust *customer.Customer
	var rec *contactlog.Record
	err := storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		records, err := s.recordsOn(tx)
		if err != nil {
			return err
		}
		if s.cfg.Customers == nil {
			return fmt.Errorf("Config.Customers is required: %w", ErrInvalid)
		}
		var v validation.Error
		if p.Kind == customer.Company {
			if strings.TrimSpace(p.CompanyKana) == "" {
				v.Add("customer.company_kana", validation.CodeRequired, "")
			}
		} else if strings.TrimSpace(p.FamilyKana) == "" {
			v.Add("customer.family_kana", validation.CodeRequired, "")
		}
		if e.Customer != uuid.Nil {
			v.Add("customer", validation.CodeNotAllowed, e.Customer.String())
		}
		if err := v.Err(); err != nil {
			return err
		}
		if cust, err = s.cfg.Customers.WithDB(tx).Create(ctx, p); err != nil {
			return prefixFields(err, "customer.")
		}
		e.Customer = cust.ID
		rec, err = records.Create(ctx, e)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("schedule: record with new customer: %w", err)
	}
	return cust, rec, nil
}

// prefixFields returns err with the field names of its *ValidationError
// (if it is one) prefixed.
func prefixFields(err error, prefix string) error {
	var ve *validation.Error
	if !errors.As(err, &ve) {
		return err
	}
	out := *ve
	out.Fields = make([]validation.FieldError, len(ve.Fields))
	for i, f := range ve.Fields {
		f.Field = prefix + f.Field
		out.Fields[i] = f
	}
	return &out
}

// carried points at what an appointment and its contact record pass to
// each other (RecordFromAppointment, PlanNext): the customer, the contact
// persons, the channel, the people (the appointment's staff, the record's
// responders) and the scope.
type carried struct {
	customer       *uuid.UUID
	contactPersons *[]string
	channel        *string
	people         *[]uuid.UUID
	scope          *permission.Scope
}

func appointmentCarried(in *AppointmentInput) carried {
	return carried{&in.Customer, &in.ContactPersons, &in.Channel, &in.Staff, &in.Scope}
}

func entryCarried(e *contactlog.Entry) carried {
	return carried{&e.Customer, &e.ContactPersons, &e.Channel, &e.Responders, &e.Scope}
}

// fillFrom sets what c leaves empty to from's.
func (c carried) fillFrom(from carried) {
	if *c.customer == uuid.Nil {
		*c.customer = *from.customer
	}
	if len(*c.contactPersons) == 0 {
		*c.contactPersons = *from.contactPersons
	}
	if *c.channel == "" {
		*c.channel = *from.channel
	}
	if len(*c.people) == 0 {
		*c.people = *from.people
	}
	if c.scope.Kind == "" {
		*c.scope = *from.scope
	}
}

// recordOn reads the contact record id, which the principal must see, on
// db (Config.Records on the transaction).
func (s *Service) recordOn(ctx context.Context, db bun.IDB, id uuid.UUID) (*contactlog.Record, error) {
	records, err := s.recordsOn(db)
	if err != nil {
		return nil, err
	}
	return records.Get(ctx, id)
}
