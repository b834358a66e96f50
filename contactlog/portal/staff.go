package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/secret"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// LockedAccount is a row of the locked-account list (ロックアカウント一覧).
type LockedAccount struct {
	Account      uuid.UUID `bun:"id" json:"account"`
	Customer     uuid.UUID `bun:"customer_id" json:"customer"`
	CustomerName string    `bun:"-" json:"customer_name"`
	Email        string    `bun:"email" json:"email"`
	// LockedAt is when the account was locked; LastFailureAt the latest
	// failed login.
	LockedAt      time.Time  `bun:"locked_at" json:"locked_at"`
	LastFailureAt *time.Time `bun:"last_failure_at" json:"last_failure_at,omitempty"`
	// RegisteredAt is when the customer registered (データ作成日).
	RegisteredAt *time.Time `bun:"registered_at" json:"registered_at,omitempty"`
}

// lockedRow is a LockedAccount as scanned, with the name's parts.
type lockedRow struct {
	LockedAccount
	Kind        string `bun:"kind"`
	FamilyName  string `bun:"family_name"`
	GivenName   string `bun:"given_name"`
	CompanyName string `bun:"company_name"`
}

// Locked lists the locked accounts of the customers whose accounts the
// staff principal may unlock (permission.ActionUnlock, filtered in SQL),
// newest lock first. The read of names and addresses is audited.
func (s *Service) Locked(ctx context.Context) ([]LockedAccount, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	cust := customer.Ref{Alias: "c"}
	pred, err := s.authz.Predicate(ctx, pr, cust.Resource(permission.ActionUnlock))
	if err != nil {
		return nil, err
	}
	out := []LockedAccount{}
	var rows []lockedRow
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		q := tx.NewSelect().TableExpr("portal_accounts AS pa").
			Column("pa.id", "pa.customer_id", "pa.email", "pa.locked_at", "pa.last_failure_at", "pa.registered_at").
			ColumnExpr(cust.NameColumns("")).
			Join(cust.Join("JOIN", "pa", "customer_id")).
			Where("pa.tenant_id = ?", pr.Tenant).Where("pa.status = ?", StatusLocked).
			Where("pa.deactivated_at IS NULL").Where(cust.Live()).
			OrderExpr("pa.locked_at DESC, pa.id DESC")
		if err := pred.Apply(q).Scan(ctx, &rows); err != nil {
			return storage.Err(err)
		}
		for _, r := range rows {
			var c customer.Customer
			c.Kind, c.FamilyName, c.GivenName, c.CompanyName = customer.Kind(r.Kind), r.FamilyName, r.GivenName, r.CompanyName
			r.CustomerName = c.DisplayName()
			out = append(out, r.LockedAccount)
		}
		return s.audit(ctx, tx, pr, "list", uuid.Nil, fmt.Sprintf("locked n=%d", len(out)))
	})
	if err != nil {
		return nil, fmt.Errorf("portal: locked: %w", err)
	}
	return out, nil
}

// Unlock unlocks a customer's locked account (permission.ActionUnlock:
// the customer's assignees, the managers of their groups, admins — so a
// customer can never unlock themselves): it becomes active with its
// failure count reset, and the customer is mailed (TopicUnlocked). An
// account that is not locked is refused with a *ValidationError
// ("customer": not_allowed). Audited.
func (s *Service) Unlock(ctx context.Context, cust uuid.UUID) error {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return err
	}
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.staffCustomer(ctx, tx, pr, cust, permission.ActionUnlock); err != nil {
			return err
		}
		a, err := accountOf(ctx, tx, pr.Tenant, cust)
		if err != nil {
			return err
		}
		if a.Status != StatusLocked || a.LockedAt == nil {
			var v validation.Error
			v.Add("customer", validation.CodeNotAllowed, string(a.Status))
			return &v
		}
		lockedAt := *a.LockedAt
		a.Status, a.Failures, a.LockedAt = StatusActive, 0, nil
		if err := s.save(ctx, tx, a, "status", "failures", "locked_at"); err != nil {
			return err
		}
		payload, err := json.Marshal(lockPayload{Account: a.ID, FailedAt: lockedAt})
		if err != nil {
			return err
		}
		if err := outbox.Enqueue(ctx, tx, outbox.Message{Tenant: a.Tenant, Topic: TopicUnlocked, Recipient: recipientCustomer,
			Key: lockKey(a.ID, lockedAt), Payload: payload}); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, "unlock", a.ID, "")
	})
	if err != nil {
		return fmt.Errorf("portal: unlock %s: %w", cust, err)
	}
	return nil
}

// customerPrincipalAccount loads the account of a customer principal.
func (s *Service) customerPrincipalAccount(ctx context.Context, tx bun.IDB) (*Account, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	if pr.IsStaff() {
		return nil, ErrPermissionDenied
	}
	a, err := s.account(ctx, tx, pr.Tenant, pr.User, true)
	if err != nil {
		return nil, err
	}
	if !a.CanLogIn() || a.Customer != pr.Customer {
		return nil, ErrUnauthenticated
	}
	return a, nil
}

// confirm checks the current password given to confirm a change.
func confirm(a *Account, current string, v *validation.Error) error {
	ok, err := secret.VerifyPassword(a.PasswordHash, current)
	if err != nil {
		return err
	}
	if !ok {
		v.Add("current_password", CodeWrongPassword, "")
	}
	return nil
}

// ChangePassword sets a customer principal's new password, confirmed by
// the current one ("current_password": wrong_password) and under the
// rules of Register ("password"). The account's sessions end (log in
// again) and its reset links are revoked. Audited.
func (s *Service) ChangePassword(ctx context.Context, current, pw string) error {
	err := storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		a, err := s.customerPrincipalAccount(ctx, tx)
		if err != nil {
			return err
		}
		ci, err := loadCustomer(ctx, tx, a.Tenant, a.Customer)
		if err != nil {
			return err
		}
		var v validation.Error
		if err := confirm(a, current, &v); err != nil {
			return err
		}
		if pv := s.cfg.CheckPassword("password", pw, ci.Name, a.Email, ci.Email); pv != nil {
			v.Fields = append(v.Fields, pv.Fields...)
		}
		if err := v.Err(); err != nil {
			return err
		}
		return s.setPassword(ctx, tx, a, pw, "change_password")
	})
	if err != nil {
		return fmt.Errorf("portal: change password: %w", err)
	}
	return nil
}

// ChangeEmail changes a customer principal's login, confirmed by the
// password ("current_password": wrong_password); "email" is checked as at
// registration (taken: another account's login). Audited.
func (s *Service) ChangeEmail(ctx context.Context, current, email string) error {
	err := storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		a, err := s.customerPrincipalAccount(ctx, tx)
		if err != nil {
			return err
		}
		var v validation.Error
		if err := confirm(a, current, &v); err != nil {
			return err
		}
		email = checkEmail(&v, "email", email)
		if err := v.Err(); err != nil {
			return err
		}
		if err := setLogin(ctx, tx, a, email); errors.Is(err, ErrConflict) {
			v.Add("email", CodeTaken, "")
			return &v
		} else if err != nil {
			return err
		}
		a.Email = email
		if err := s.save(ctx, tx, a, "email"); err != nil {
			return err
		}
		return s.audit(ctx, tx, customerPrincipal(a), "change_email", a.ID, "")
	})
	if err != nil {
		return fmt.Errorf("portal: change email: %w", err)
	}
	return nil
}

// MayManage reports whether the staff principal may Unlock, Deactivate
// and Restore the account of customer cust (permission.ActionUnlock, the
// rule those methods check), so that a screen offers those actions only
// to who may take them. ErrNotFound when the customer does not exist or
// is hidden from the principal.
func (s *Service) MayManage(ctx context.Context, cust uuid.UUID) (bool, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return false, err
	}
	_, err = s.staffCustomer(ctx, s.db, pr, cust, permission.ActionUnlock)
	switch {
	case errors.Is(err, ErrPermissionDenied):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("portal: may manage %s: %w", cust, err)
	}
	return true, nil
}
