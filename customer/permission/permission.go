package permission

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/internal/kerr"
)

// Errors re-exported from Kiroku's shared vocabulary.
var (
	ErrNotFound         = kerr.ErrNotFound
	ErrConflict         = kerr.ErrConflict
	ErrInvalid          = kerr.ErrInvalid
	ErrUnauthenticated  = kerr.ErrUnauthenticated
	ErrPermissionDenied = kerr.ErrPermissionDenied
)

// Kind tells staff principals from customer (portal) principals.
type Kind string

// Principal kinds.
const (
	Staff    Kind = "staff"
	Customer Kind = "customer"
)

// Role is a staff member's role in a tenant.
type Role string

// Roles.
const (
	RoleAdmin   Role = "admin"
	RoleManager Role = "manager"
	RoleStaff   Role = "staff"
	RolePartner Role = "partner"
)

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleManager, RoleStaff, RolePartner:
		return true
	}
	return false
}

// Principal is the acting user. Directory.Principal builds one from the
// directory; an application that keeps its own directory fills it itself.
type Principal struct {
	// Tenant scopes every query.
	Tenant uuid.UUID
	// User is the staff user's or customer account's ID.
	User uuid.UUID
	// Kind is Staff or Customer; the zero value means Staff.
	Kind Kind
	// Roles of a staff principal. A staff principal without roles has the
	// rights of RoleStaff.
	Roles []Role
	// OrgUnits the staff member belongs to (not their ancestors: the rules
	// find those in the directory's org tree).
	OrgUnits []uuid.UUID
	// Groups the staff member is a member of, managers included.
	Groups []uuid.UUID
	// ManagedGroups are the groups the staff member manages. Managing a
	// group takes RoleManager as well.
	ManagedGroups []uuid.UUID
	// Customer is, for a customer principal, the customer whose portal
	// account this is.
	Customer uuid.UUID
	// CustomerVisibility is the tenant's setting, copied by
	// Directory.Principal. The zero value means VisibilityAssigned: when in
	// doubt, show less.
	CustomerVisibility CustomerVisibility
	// Location is the tenant's time zone for day boundaries and display,
	// copied by Directory.Principal. Nil means the engine's configured
	// default (Asia/Tokyo).
	Location *time.Location
}

// Has reports whether p holds role r.
func (p Principal) Has(r Role) bool { return slices.Contains(p.Roles, r) }

// IsStaff reports whether p is a staff principal.
func (p Principal) IsStaff() bool { return p.Kind == Staff || p.Kind == "" }

type ctxKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal carried by ctx, if any.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// Require returns the principal of ctx, or ErrUnauthenticated when there is
// none or it names no tenant or user.
func Require(ctx context.Context) (Principal, error) {
	p, ok := FromContext(ctx)
	if !ok || p.Tenant == uuid.Nil || p.User == uuid.Nil {
		return Principal{}, ErrUnauthenticated
	}
	switch p.Kind {
	case "", Staff, Customer:
	default:
		return Principal{}, fmt.Errorf("permission: kind %q: %w", p.Kind, ErrUnauthenticated)
	}
	return p, nil
}

// RequireStaff is Require for calls only staff may make: a customer
// principal gets ErrPermissionDenied.
func RequireStaff(ctx context.Context) (Principal, error) {
	p, err := Require(ctx)
	if err != nil {
		return p, err
	}
	if !p.IsStaff() {
		return Principal{}, ErrPermissionDenied
	}
	return p, nil
}

// RequireRole is RequireStaff for calls reserved to some roles: p must hold
// at least one of them.
func RequireRole(ctx context.Context, roles ...Role) (Principal, error) {
	p, err := RequireStaff(ctx)
	if err != nil {
		return p, err
	}
	for _, r := range roles {
		if p.Has(r) {
			return p, nil
		}
	}
	return Principal{}, ErrPermissionDenied
}
