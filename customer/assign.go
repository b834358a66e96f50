package customer

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/idset"
	"github.com/kirokuhq/kiroku/internal/storage"
)

type assigneeRow struct {
	bun.BaseModel `bun:"table:customer_assignees"`
	Customer      uuid.UUID `bun:"customer_id,pk"`
	User          uuid.UUID `bun:"user_id,pk"`
	Tenant        uuid.UUID `bun:"tenant_id"`
	AssignedAt    time.Time `bun:"assigned_at"`
	AssignedBy    uuid.UUID `bun:"assigned_by"`
}

// AssignmentChange is one entry of a customer's assignment history: staff
// From stopped being in charge, or staff To started, or both (a
// reassignment from one to the other).
type AssignmentChange struct {
	bun.BaseModel `bun:"table:customer_assignment_log"`
	ID            uuid.UUID  `bun:"id,pk" json:"id"`
	Tenant        uuid.UUID  `bun:"tenant_id" json:"-"`
	Customer      uuid.UUID  `bun:"customer_id" json:"customer"`
	From          *uuid.UUID `bun:"from_user" json:"from,omitempty"`
	To            *uuid.UUID `bun:"to_user" json:"to,omitempty"`
	// Batch groups the changes of one bulk reassignment (一括変更).
	Batch *uuid.UUID `bun:"batch_id" json:"batch,omitempty"`
	At    time.Time  `bun:"changed_at" json:"at"`
	By    uuid.UUID  `bun:"changed_by" json:"by"`
}

// setAssignees changes customer id's assignees from old to new and logs the
// difference. A single removal paired with a single addition is logged as
// one reassignment.
func (s *Service) setAssignees(ctx context.Context, tx bun.IDB, pr permission.Principal, id uuid.UUID, old, new []uuid.UUID, batch uuid.UUID) error {
	var added, removed []uuid.UUID
	for _, u := range new {
		if !slices.Contains(old, u) {
			added = append(added, u)
		}
	}
	for _, u := range old {
		if !slices.Contains(new, u) {
			removed = append(removed, u)
		}
	}
	if len(added) == 0 && len(removed) == 0 {
		return nil
	}
	// A staff principal assigning itself (what Create does by default) is
	// known staff: the directory made the principal. Others are checked.
	check := added
	if pr.IsStaff() && slices.Contains(added, pr.User) {
		check = slices.DeleteFunc(slices.Clone(added), func(u uuid.UUID) bool { return u == pr.User })
	}
	if err := s.knownStaff(ctx, tx, pr.Tenant, "assignees", check); err != nil {
		return err
	}
	now := s.now()
	if len(removed) > 0 {
		if _, err := tx.NewDelete().Model((*assigneeRow)(nil)).Where("tenant_id = ?", pr.Tenant).
			Where("customer_id = ?", id).Where("user_id IN (?)", bun.List(removed)).Exec(ctx); err != nil {
			return err
		}
	}
	if len(added) > 0 {
		rows := make([]assigneeRow, len(added))
		for i, u := range added {
			rows[i] = assigneeRow{Customer: id, User: u, Tenant: pr.Tenant, AssignedAt: now, AssignedBy: pr.User}
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return err
		}
	}
	var log []AssignmentChange
	entry := func(from, to *uuid.UUID) {
		c := AssignmentChange{ID: uuid.Must(uuid.NewV7()), Tenant: pr.Tenant, Customer: id, From: from, To: to, At: now, By: pr.User}
		if batch != uuid.Nil {
			c.Batch = &batch
		}
		log = append(log, c)
	}
	if len(added) == 1 && len(removed) == 1 {
		entry(&removed[0], &added[0])
	} else {
		for i := range removed {
			entry(&removed[i], nil)
		}
		for i := range added {
			entry(nil, &added[i])
		}
	}
	_, err := tx.NewInsert().Model(&log).Exec(ctx)
	return err
}

// knownStaff refuses users that are not active staff of the tenant, as a
// validation error on field.
func (s *Service) knownStaff(ctx context.Context, db bun.IDB, tenant uuid.UUID, field string, users []uuid.UUID) error {
	unknown, err := permission.UnknownStaff(ctx, db, tenant, users)
	if err != nil || len(unknown) == 0 {
		return err
	}
	var v validation.Error
	for _, u := range unknown {
		v.Add(field, validation.CodeUnknown, u.String())
	}
	return &v
}

// SetAssignees replaces the staff in charge of one customer (担当変更).
// Admins may; managers may when every current and new assignee is a member
// of a group they manage.
func (s *Service) SetAssignees(ctx context.Context, id uuid.UUID, users []uuid.UUID) error {
	pr, err := permission.Require(ctx)
	if err != nil {
		return err
	}
	if slices.Contains(users, uuid.Nil) {
		var v validation.Error
		v.Add("assignees", validation.CodeInvalidUUID, "")
		return fmt.Errorf("customer: set assignees %s: %w", id, &v)
	}
	users = idset.Sorted(users)
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		cur, err := s.get(ctx, tx, pr, id, false)
		if err != nil {
			return err
		}
		if err := s.check(ctx, pr, permission.ActionReassign, cur, users); err != nil {
			return err
		}
		if err := s.setAssignees(ctx, tx, pr, id, cur.Assignees, users, uuid.Nil); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*row)(nil)).Set("version = version + 1").
			Set("updated_at = ?", s.now()).Set("updated_by = ?", pr.User).
			Where("id = ?", id).Where("tenant_id = ?", pr.Tenant).Exec(ctx); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, string(permission.ActionReassign), id, "")
	})
	if err != nil {
		return fmt.Errorf("customer: set assignees %s: %w", id, err)
	}
	return nil
}

// Reassign moves every customer (deleted ones included, so a restore keeps
// the new owner) assigned to staff from over to staff to in one transaction
// (一括変更), and returns how many customers changed. A customer that
// already had both keeps to only. Every change is logged under one batch ID.
// Admins may; managers may when both are members of groups they manage.
func (s *Service) Reassign(ctx context.Context, from, to uuid.UUID) (int, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return 0, err
	}
	if from == uuid.Nil || to == uuid.Nil || from == to {
		var v validation.Error
		v.Add("to", validation.CodeInvalidUUID, "")
		return 0, fmt.Errorf("customer: reassign: %w", &v)
	}
	if err := s.authz.Check(ctx, pr, permission.ActionReassign, &permission.CustomerObject{Tenant: pr.Tenant,
		Assignees: []uuid.UUID{from}, NewAssignees: []uuid.UUID{to}}); err != nil {
		return 0, fmt.Errorf("customer: reassign: %w", err)
	}
	batch := uuid.Must(uuid.NewV7())
	var n int
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if err := s.knownStaff(ctx, tx, pr.Tenant, "to", []uuid.UUID{to}); err != nil {
			return err
		}
		var ids []uuid.UUID
		if err := tx.NewSelect().Model((*assigneeRow)(nil)).Column("customer_id").
			Where("tenant_id = ?", pr.Tenant).Where("user_id = ?", from).
			Order("customer_id").Scan(ctx, &ids); err != nil {
			return err
		}
		n = len(ids)
		if n == 0 {
			return nil
		}
		now := s.now()
		const chunk = 500
		for start := 0; start < len(ids); start += chunk {
			part := ids[start:min(start+chunk, len(ids))]
			if _, err := tx.NewDelete().Model((*assigneeRow)(nil)).Where("tenant_id = ?", pr.Tenant).
				Where("user_id = ?", from).Where("customer_id IN (?)", bun.List(part)).Exec(ctx); err != nil {
				return err
			}
			rows := make([]assigneeRow, len(part))
			log := make([]AssignmentChange, len(part))
			for i, id := range part {
				rows[i] = assigneeRow{Customer: id, User: to, Tenant: pr.Tenant, AssignedAt: now, AssignedBy: pr.User}
				log[i] = AssignmentChange{ID: uuid.Must(uuid.NewV7()), Tenant: pr.Tenant, Customer: id,
					From: &from, To: &to, Batch: &batch, At: now, By: pr.User}
			}
			if _, err := tx.NewInsert().Model(&rows).On("CONFLICT (tenant_id, customer_id, user_id) DO NOTHING").Exec(ctx); err != nil {
				return err
			}
			if _, err := tx.NewInsert().Model(&log).Exec(ctx); err != nil {
				return err
			}
			if _, err := tx.NewUpdate().Model((*row)(nil)).Set("version = version + 1").
				Set("updated_at = ?", now).Set("updated_by = ?", pr.User).
				Where("tenant_id = ?", pr.Tenant).Where("id IN (?)", bun.List(part)).Exec(ctx); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, pr, string(permission.ActionReassign), uuid.Nil,
			fmt.Sprintf("batch=%s from=%s to=%s count=%d", batch, from, to, n))
	})
	if err != nil {
		return 0, fmt.Errorf("customer: reassign: %w", err)
	}
	return n, nil
}

// AssignmentHistory returns the assignment changes of a customer, oldest
// first.
func (s *Service) AssignmentHistory(ctx context.Context, id uuid.UUID) ([]AssignmentChange, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.get(ctx, s.db, pr, id, false); err != nil {
		return nil, fmt.Errorf("customer: assignment history %s: %w", id, err)
	}
	var out []AssignmentChange
	if err := s.db.NewSelect().Model(&out).Where("tenant_id = ?", pr.Tenant).
		Where("customer_id = ?", id).Order("changed_at", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("customer: assignment history %s: %w", id, storage.Err(err))
	}
	return out, nil
}
