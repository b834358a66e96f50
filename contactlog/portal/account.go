package portal

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/idset"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// Status is where a customer account is in its life.
type Status string

// Account statuses.
const (
	// StatusInvited: invited, not registered yet; cannot log in.
	StatusInvited Status = "invited"
	// StatusActive: registered; logs in with e-mail and password.
	StatusActive Status = "active"
	// StatusLocked: Config.MaxFailures consecutive failed logins; cannot
	// log in until staff unlock it.
	StatusLocked Status = "locked"
)

// Account is a customer's portal account: one per customer, created by
// the first invitation.
type Account struct {
	bun.BaseModel `bun:"table:portal_accounts,alias:pa"`
	Tenant        uuid.UUID `bun:"tenant_id,pk" json:"tenant"`
	ID            uuid.UUID `bun:"id,pk" json:"id"`
	// Customer is the customer whose account this is.
	Customer uuid.UUID `bun:"customer_id" json:"customer"`
	// Email is the login, chosen at registration ("" before).
	Email string `bun:"email" json:"email"`
	// PasswordHash is the argon2id hash the engine checks logins with;
	// the accounts Service returns leave it empty.
	PasswordHash string `bun:"password_hash" json:"-"`
	Status       Status `bun:"status" json:"status"`
	// DeactivatedAt is set while staff have ended the customer's access
	// (Deactivate); the account cannot log in or be invited then.
	DeactivatedAt *time.Time `bun:"deactivated_at" json:"deactivated_at,omitempty"`
	// RegisteredAt is when the customer registered (nil before).
	RegisteredAt *time.Time `bun:"registered_at" json:"registered_at,omitempty"`
	// TermsVersion is the version of the tenant's terms of use the
	// customer agreed to (0: DefaultTerms), at TermsAgreedAt.
	TermsVersion  int        `bun:"terms_version" json:"terms_version"`
	TermsAgreedAt *time.Time `bun:"terms_agreed_at" json:"terms_agreed_at,omitempty"`
	// Failures counts consecutive failed logins; a successful login and an
	// unlock reset it.
	Failures      int        `bun:"failures" json:"failures"`
	LastFailureAt *time.Time `bun:"last_failure_at" json:"last_failure_at,omitempty"`
	// LockedAt is when the account was locked (nil unless Status is
	// StatusLocked).
	LockedAt  *time.Time `bun:"locked_at" json:"locked_at,omitempty"`
	CreatedAt time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt time.Time  `bun:"updated_at" json:"updated_at"`
	Version   int64      `bun:"version" json:"version"`
}

// Deactivated reports whether staff have ended the account's access.
func (a *Account) Deactivated() bool { return a.DeactivatedAt != nil }

// CanLogIn reports whether the account may log in: registered, not
// locked, not deactivated.
func (a *Account) CanLogIn() bool { return a.Status == StatusActive && a.DeactivatedAt == nil }

// Principal is the customer principal of the account, for the engines'
// reads (contactlog.Service shows it the shared records of its customer).
// loc is the tenant's time zone (nil: the engines' default).
func (a *Account) Principal(loc *time.Location) permission.Principal {
	return permission.Principal{Tenant: a.Tenant, User: a.ID, Kind: permission.Customer, Customer: a.Customer, Location: loc}
}

// NormalizeEmail is the canonical form of a login: trimmed, lower-cased.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// emailKey is what portal_logins keeps of a login: its SHA-256, so that the
// table read before the tenant is known holds no address (and a purged
// customer leaves none behind).
func emailKey(email string) []byte {
	h := sha256.Sum256([]byte(NormalizeEmail(email)))
	return h[:]
}

// login is a row of portal_logins, read before the tenant is known.
type login struct {
	bun.BaseModel `bun:"table:portal_logins"`
	EmailHash     []byte    `bun:"email_hash,pk"`
	Tenant        uuid.UUID `bun:"tenant_id"`
	Account       uuid.UUID `bun:"account_id"`
}

// setLogin makes email the login of a, replacing a's earlier one. Another
// account's login of the same address fails with ErrConflict; a row left
// by an account that no longer has that address (purged, changed) is taken
// over.
func setLogin(ctx context.Context, tx bun.IDB, a *Account, email string) error {
	key := emailKey(email)
	var cur login
	err := tx.NewSelect().Model(&cur).Where("email_hash = ?", key).Scan(ctx)
	switch err = storage.Err(err); {
	case err == nil && (cur.Tenant != a.Tenant || cur.Account != a.ID):
		n, err := tx.NewSelect().Model((*Account)(nil)).Where("pa.tenant_id = ?", cur.Tenant).Where("pa.id = ?", cur.Account).
			Where("pa.email = ?", NormalizeEmail(email)).Count(ctx)
		if err != nil {
			return storage.Err(err)
		}
		if n > 0 {
			return ErrConflict
		}
	case err != nil && !errors.Is(err, ErrNotFound):
		return err
	}
	if _, err := tx.NewDelete().Model((*login)(nil)).Where("account_id = ?", a.ID).Where("tenant_id = ?", a.Tenant).Exec(ctx); err != nil {
		return storage.Err(err)
	}
	if _, err := tx.NewDelete().Model((*login)(nil)).Where("email_hash = ?", key).Exec(ctx); err != nil {
		return storage.Err(err)
	}
	_, err = tx.NewInsert().Model(&login{EmailHash: key, Tenant: a.Tenant, Account: a.ID}).Exec(ctx)
	return storage.Err(err)
}

// account loads the account of a tenant by ID, for update when forUpdate
// (PostgreSQL row lock; SQLite's single writer serialises anyway).
func (c core) account(ctx context.Context, db bun.IDB, tenant, id uuid.UUID, forUpdate bool) (*Account, error) {
	var a Account
	q := db.NewSelect().Model(&a).Where("pa.tenant_id = ?", tenant).Where("pa.id = ?", id)
	if forUpdate && c.dialect() == storage.Postgres {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, storage.Err(err)
	}
	return &a, nil
}

// accountOf loads the account of a customer (ErrNotFound if none).
func accountOf(ctx context.Context, db bun.IDB, tenant, cust uuid.UUID) (*Account, error) {
	var a Account
	if err := db.NewSelect().Model(&a).Where("pa.tenant_id = ?", tenant).Where("pa.customer_id = ?", cust).Scan(ctx); err != nil {
		return nil, storage.Err(err)
	}
	return &a, nil
}

func (c core) dialect() storage.Dialect {
	d, _ := storage.Of(c.db)
	return d
}

// save writes the mutable columns of a, bumping its version.
func (c core) save(ctx context.Context, db bun.IDB, a *Account, cols ...string) error {
	a.UpdatedAt = c.now()
	res, err := db.NewUpdate().Model(a).Column(append(cols, "updated_at")...).Set("version = version + 1").
		Where("pa.tenant_id = ?", a.Tenant).Where("pa.id = ?", a.ID).Where("pa.version = ?", a.Version).Exec(ctx)
	if err := storage.Affected(res, err, ErrConflict); err != nil {
		return err
	}
	a.Version++
	return nil
}

// customerInfo is what the portal needs of a customer.
type customerInfo struct {
	ID        uuid.UUID
	Name      string
	Email     string
	Mobile    string
	Assignees []uuid.UUID
}

// loadCustomer reads a live (not deleted) customer of the tenant, without
// its assignees (loadAssignees); ErrNotFound otherwise.
func loadCustomer(ctx context.Context, db bun.IDB, tenant, id uuid.UUID) (*customerInfo, error) {
	var c customer.Customer
	ref := customer.Ref{Alias: "c"}
	err := db.NewSelect().TableExpr(ref.From()).ColumnExpr(ref.NameColumns("")).ColumnExpr(ref.ContactColumns("")).
		Where(ref.Tenant()+" = ?", tenant).Where(ref.ID()+" = ?", id).Where(ref.Live()).
		Scan(ctx, &c.Kind, &c.FamilyName, &c.GivenName, &c.CompanyName, &c.Email, &c.Mobile)
	if err != nil {
		return nil, storage.Err(err)
	}
	return &customerInfo{ID: id, Email: c.Email, Mobile: c.Mobile, Name: c.DisplayName()}, nil
}

// loadAssignees reads the staff assigned to ci, for permission checks and
// lock notices.
func (ci *customerInfo) loadAssignees(ctx context.Context, db bun.IDB, tenant uuid.UUID) error {
	err := customer.AssigneeRef{Alias: "ca"}.Of(db, tenant, ci.ID).Scan(ctx, &ci.Assignees)
	return storage.Err(err)
}

func (ci *customerInfo) object(tenant uuid.UUID) *permission.CustomerObject {
	return &permission.CustomerObject{Tenant: tenant, ID: ci.ID, Assignees: ci.Assignees}
}

// staffCustomer loads a customer for a staff principal and checks action
// on it (ErrNotFound when hidden, ErrPermissionDenied when visible but not
// allowed).
func (c core) staffCustomer(ctx context.Context, db bun.IDB, pr permission.Principal, id uuid.UUID, action permission.Action) (*customerInfo, error) {
	ci, err := loadCustomer(ctx, db, pr.Tenant, id)
	if err != nil {
		return nil, err
	}
	if err := ci.loadAssignees(ctx, db, pr.Tenant); err != nil {
		return nil, err
	}
	if err := c.authz.Check(ctx, pr, action, ci.object(pr.Tenant)); err != nil {
		return nil, err
	}
	return ci, nil
}

func (c core) audit(ctx context.Context, db bun.IDB, pr permission.Principal, action string, id uuid.UUID, detail string) error {
	return permission.Audit(ctx, db, pr, c.now(), action, "portal_account", id, detail)
}

// customerPrincipal is the principal an account acts as in the audit log.
func customerPrincipal(a *Account) permission.Principal { return a.Principal(nil) }

// Account returns the portal account of a customer the staff principal
// sees (ErrNotFound when the customer is hidden or has no account), or,
// for a customer principal, their own account (cust is then ignored).
func (s *Service) Account(ctx context.Context, cust uuid.UUID) (*Account, error) {
	pr, err := permission.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !pr.IsStaff() {
		a, err := s.account(ctx, s.db, pr.Tenant, pr.User, false)
		if err != nil {
			return nil, fmt.Errorf("portal: account: %w", err)
		}
		a.PasswordHash = ""
		return a, nil
	}
	if _, err := s.staffCustomer(ctx, s.db, pr, cust, permission.ActionView); err != nil {
		return nil, fmt.Errorf("portal: account of %s: %w", cust, err)
	}
	a, err := accountOf(ctx, s.db, pr.Tenant, cust)
	if err != nil {
		return nil, fmt.Errorf("portal: account of %s: %w", cust, err)
	}
	a.PasswordHash = ""
	return a, nil
}

// Statuses returns the portal status of those of custs that have an
// account and that the staff principal sees, by customer: for the marks a
// customer list shows (招待済み / 登録済み). Deactivated accounts are
// left out.
func (s *Service) Statuses(ctx context.Context, custs []uuid.UUID) (map[uuid.UUID]Status, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	out := map[uuid.UUID]Status{}
	if len(custs) == 0 {
		return out, nil
	}
	cust := customer.Ref{Alias: "c"}
	pred, err := s.authz.Predicate(ctx, pr, cust.Resource(""))
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Customer uuid.UUID `bun:"customer_id"`
		Status   Status    `bun:"status"`
	}
	q := s.db.NewSelect().TableExpr("portal_accounts AS pa").Column("pa.customer_id", "pa.status").
		Join(cust.Join("JOIN", "pa", "customer_id")).
		Where("pa.tenant_id = ?", pr.Tenant).Where("pa.customer_id IN (?)", bun.List(custs)).Where("pa.deactivated_at IS NULL")
	if err := pred.Apply(q).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("portal: statuses: %w", storage.Err(err))
	}
	for _, r := range rows {
		out[r.Customer] = r.Status
	}
	return out, nil
}

// Mark is a customer as a list row of records names it: the display name
// (customer.Customer.DisplayName) and the portal status, empty without an
// account or with a deactivated one.
type Mark struct {
	Name   string
	Status Status
}

// Marks returns the name and portal status of those of custs that the
// staff principal sees and that are not in the trash, by customer, in one
// query: what customer.Service.Names and Statuses give, for a page that
// shows both (the top page's records). Each customer is asked once, in
// ID order, so that pages with the same number of customers send one
// statement (see Config.StatementCache).
func (s *Service) Marks(ctx context.Context, custs []uuid.UUID) (map[uuid.UUID]Mark, error) {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]Mark, len(custs))
	if len(custs) == 0 {
		return out, nil
	}
	cust := customer.Ref{Alias: "c"}
	pred, err := s.authz.Predicate(ctx, pr, cust.Resource(""))
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ID          uuid.UUID     `bun:"id"`
		Kind        customer.Kind `bun:"kind"`
		FamilyName  string        `bun:"family_name"`
		GivenName   string        `bun:"given_name"`
		CompanyName string        `bun:"company_name"`
		Status      Status        `bun:"status"`
	}
	q := s.db.NewSelect().TableExpr(cust.From()).Column(cust.ID()).ColumnExpr(cust.NameColumns("")).
		ColumnExpr("COALESCE(pa.status, '') AS status").
		Join("LEFT JOIN portal_accounts AS pa ON pa.tenant_id = "+cust.Tenant()+" AND pa.customer_id = "+cust.ID()+
			" AND pa.deactivated_at IS NULL").
		Where(cust.Tenant()+" = ?", pr.Tenant).Where(cust.ID()+" IN (?)", bun.List(idset.Sorted(custs))).Where(cust.Live())
	if err := storage.ScanBound(ctx, s.db, s.cfg.StatementCache, pred.Apply(q), &rows); err != nil {
		return nil, fmt.Errorf("portal: marks: %w", storage.Err(err))
	}
	for _, r := range rows {
		c := customer.Customer{Profile: customer.Profile{Kind: r.Kind, FamilyName: r.FamilyName, GivenName: r.GivenName, CompanyName: r.CompanyName}}
		out[r.ID] = Mark{Name: c.DisplayName(), Status: r.Status}
	}
	return out, nil
}

// Deactivate ends a customer's access (permission.ActionUnlock: their
// assignees, the managers of their groups, admins): the account can no
// longer log in, its sessions end and its outstanding invitations and
// reset links are revoked. Restore gives it back. Audited.
func (s *Service) Deactivate(ctx context.Context, cust uuid.UUID) error {
	return s.setDeactivated(ctx, cust, true)
}

// Restore gives a deactivated account its access back, in the status it
// had (an invited account needs a new invitation). Audited.
func (s *Service) Restore(ctx context.Context, cust uuid.UUID) error {
	return s.setDeactivated(ctx, cust, false)
}

func (s *Service) setDeactivated(ctx context.Context, cust uuid.UUID, off bool) error {
	pr, err := permission.RequireStaff(ctx)
	if err != nil {
		return err
	}
	verb := map[bool]string{true: "deactivate", false: "restore"}[off]
	err = storage.InTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.staffCustomer(ctx, tx, pr, cust, permission.ActionUnlock); err != nil {
			return err
		}
		a, err := accountOf(ctx, tx, pr.Tenant, cust)
		if err != nil {
			return err
		}
		if a.Deactivated() == off {
			return nil
		}
		if off {
			now := s.now()
			a.DeactivatedAt = &now
			if err := revokeAll(ctx, tx, a, now); err != nil {
				return err
			}
		} else {
			a.DeactivatedAt = nil
		}
		if err := s.save(ctx, tx, a, "deactivated_at"); err != nil {
			return err
		}
		return s.audit(ctx, tx, pr, verb, a.ID, "")
	})
	if err != nil {
		return fmt.Errorf("portal: %s %s: %w", verb, cust, err)
	}
	return nil
}

// revokeAll ends the account's sessions and revokes its outstanding
// invitations and links.
func revokeAll(ctx context.Context, tx bun.IDB, a *Account, now time.Time) error {
	if _, err := tx.NewDelete().TableExpr("portal_sessions").Where("account_id = ?", a.ID).Where("tenant_id = ?", a.Tenant).Exec(ctx); err != nil {
		return storage.Err(err)
	}
	return revokeInvitations(ctx, tx, a, uuid.Nil, now, true)
}
