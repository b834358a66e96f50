package api

import (
	"net/http"

	capi "github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
)

// LockoutList lists the tenant's locked staff logins.
type LockoutList struct {
	Lockouts []auth.Lockout `json:"lockouts"`
}

// lockoutRoutes let admins see the logins locked by failed attempts and
// lift a lock (auth.Store.Lockouts, Unlock: admins only, audited).
func (x *tokenAPI) lockoutRoutes() []capi.Route {
	admins := []permission.Role{permission.RoleAdmin}
	return []capi.Route{
		{ID: "listLockouts", Tag: "users", Method: http.MethodGet, Path: capi.Version1 + "/lockouts",
			Summary: "List the staff logins locked after failed attempts (admins)", Roles: admins,
			Response: LockoutList{}, Status: http.StatusOK, Handler: x.listLockouts},
		{ID: "unlockLogin", Tag: "users", Method: http.MethodDelete, Path: capi.Version1 + "/lockouts/{user}",
			Summary: "Lift the lock of a user's login (admins, audited)", Roles: admins,
			Params: []capi.Param{userParam}, Status: http.StatusNoContent, Handler: x.unlockLogin},
	}
}

func (x *tokenAPI) listLockouts(w http.ResponseWriter, r *http.Request) error {
	ls, err := x.app.Auth.Lockouts(r.Context())
	if err != nil {
		return err
	}
	return capi.WriteJSON(w, http.StatusOK, LockoutList{Lockouts: ls})
}

func (x *tokenAPI) unlockLogin(w http.ResponseWriter, r *http.Request) error {
	user, err := capi.PathID(r, "user")
	if err != nil {
		return err
	}
	if err := x.app.Auth.Unlock(r.Context(), user); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
