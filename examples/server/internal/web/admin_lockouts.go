package web

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
)

// adminLockout is a locked login with its user's name.
type adminLockout struct {
	auth.Lockout
	Name string
}

type adminLockoutsPage struct {
	Lockouts []adminLockout
	// Minutes is how long a lock lasts (auth.Store.Lockout).
	Minutes int
}

// adminLockouts lists the tenant's staff logins locked by failed attempts
// (auth.Store.Lockouts: admins only, bound to the principal's tenant).
func (u *UI) adminLockouts(w http.ResponseWriter, r *Request) error {
	locks, err := u.app.Auth.Lockouts(r.Context())
	if err != nil {
		return err
	}
	users := make([]uuid.UUID, len(locks))
	for i, l := range locks {
		users[i] = l.User
	}
	names, err := u.staffNamesOf(r.Context(), r.Principal.Tenant, users)
	if err != nil {
		return err
	}
	p := &adminLockoutsPage{Minutes: u.lockoutMinutes()}
	for _, l := range locks {
		p.Lockouts = append(p.Lockouts, adminLockout{Lockout: l, Name: names[l.User]})
	}
	u.render(w, r.Request, r, http.StatusOK, "admin_lockouts", p)
	return nil
}

// adminUnlock lifts the lock of the user {id}'s login (audited by
// auth.Store.Unlock); a lock that ended meanwhile is not an error.
func (u *UI) adminUnlock(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := u.app.Auth.Unlock(r.Context(), id); err != nil {
		return err
	}
	redirect(w, r.Request, "/admin/lockouts", "admin.lockouts.unlocked")
	return nil
}
