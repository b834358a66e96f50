package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// adminRoutes registers the administration pages. Every one of them is for
// admins only, and every directory call is bound to the admin's own tenant
// (r.Principal.Tenant): permission.Directory is a trusted handle that checks
// no principal, so these handlers are its permission check.
func (u *UI) adminRoutes(mux *http.ServeMux) {
	admin := func(h handlerFunc) http.Handler { return u.page(h, permission.RoleAdmin) }
	mux.Handle("GET /admin", admin(u.adminIndex))
	mux.Handle("GET /admin/users", admin(u.adminUsers))
	mux.Handle("GET /admin/users/new", admin(u.adminUserNew))
	mux.Handle("POST /admin/users/new", admin(u.adminUserCreate))
	mux.Handle("GET /admin/users/{id}", admin(u.adminUserEdit))
	mux.Handle("POST /admin/users/{id}", admin(u.adminUserUpdate))
	mux.Handle("POST /admin/users/{id}/invite", admin(u.adminUserInvite))
	mux.Handle("GET /admin/units", admin(u.adminUnits))
	mux.Handle("POST /admin/units", admin(u.adminUnitsPost))
	mux.Handle("GET /admin/groups", admin(u.adminGroups))
	mux.Handle("POST /admin/groups", admin(u.adminGroupsPost))
	mux.Handle("GET /admin/groups/{id}", admin(u.adminGroup))
	mux.Handle("POST /admin/groups/{id}", admin(u.adminGroupPost))
	mux.Handle("GET /admin/tenant", admin(u.adminTenant))
	mux.Handle("POST /admin/tenant", admin(u.adminTenantPost))
	mux.Handle("GET /admin/ranks", admin(u.adminRanks))
	mux.Handle("POST /admin/ranks", admin(u.adminRanksPost))
	mux.Handle("GET /admin/fields", admin(u.adminFields))
	mux.Handle("POST /admin/fields", admin(u.adminFieldsPost))
	mux.Handle("POST /admin/fields/{key}/delete", admin(u.adminFieldDelete))
	mux.Handle("GET /admin/masters", admin(u.adminMasters))
	mux.Handle("POST /admin/masters", admin(u.adminMastersPost))
	mux.Handle("GET /admin/templates", admin(u.adminTemplates))
	mux.Handle("POST /admin/templates", admin(u.adminTemplatesPost))
	u.builderRoutes(admin, mux)
	mux.Handle("GET /admin/plugins", admin(u.adminPlugins))
	mux.Handle("POST /admin/plugins/install", admin(u.adminPluginsInstall))
	mux.Handle("POST /admin/plugins/uninstall", admin(u.adminPluginsUninstall))
	mux.Handle("GET /admin/lockouts", admin(u.adminLockouts))
	mux.Handle("POST /admin/lockouts/{id}/unlock", admin(u.adminUnlock))
}

type adminIndexPage struct {
	Tenant                               *permission.Tenant
	Users, ActiveUsers, Units, Groups    int
	Templates, Plugins, MasterKindsCount int
}

func (u *UI) adminIndex(w http.ResponseWriter, r *Request) error {
	ctx, tenant := r.Context(), r.Principal.Tenant
	t, err := u.app.Dir.Tenant(ctx, tenant)
	if err != nil {
		return err
	}
	users, err := u.app.Staff.Users(ctx, tenant)
	if err != nil {
		return err
	}
	units, err := u.app.Dir.OrgUnits(ctx, tenant)
	if err != nil {
		return err
	}
	groups, err := u.app.Dir.Groups(ctx, tenant)
	if err != nil {
		return err
	}
	tpls, err := u.app.Templates.Templates(ctx, tenant)
	if err != nil {
		return err
	}
	p := &adminIndexPage{Tenant: t, Users: len(users), Units: len(units), Groups: len(groups),
		Templates: len(tpls), Plugins: len(u.app.Plugins.Status()), MasterKindsCount: len(contactlog.MasterKinds())}
	for _, usr := range users {
		if usr.Active {
			p.ActiveUsers++
		}
	}
	u.render(w, r.Request, r, http.StatusOK, "admin_index", p)
	return nil
}

// formIDs parses the UUIDs of a multi-valued field, skipping empty values;
// a malformed one is a bad request.
func formIDs(values []string) ([]uuid.UUID, error) {
	var out []uuid.UUID
	for _, v := range values {
		if v == "" {
			continue
		}
		id, err := uuid.Parse(v)
		if err != nil {
			return nil, kerr.ErrInvalid
		}
		out = append(out, id)
	}
	return out, nil
}

// formVersion parses the version field (0 when absent or malformed).
func formVersion(s string) int64 {
	v, _ := strconv.ParseInt(s, 10, 64)
	return v
}

// unitNames maps the tenant's org units to their names.
func (u *UI) unitNames(ctx context.Context, tenant uuid.UUID) ([]permission.OrgUnit, map[uuid.UUID]string, error) {
	units, err := u.app.Dir.OrgUnits(ctx, tenant)
	if err != nil {
		return nil, nil, err
	}
	names := make(map[uuid.UUID]string, len(units))
	for _, ou := range units {
		names[ou.ID] = ou.Name
	}
	return units, names, nil
}

// formatVersion writes a version for a hidden field.
func formatVersion(v int64) string { return strconv.FormatInt(v, 10) }
