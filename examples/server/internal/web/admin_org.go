package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// adminUnit is an org unit with its depth in the tree.
type adminUnit struct {
	permission.OrgUnit
	Depth    int
	ParentID uuid.UUID
}

type adminUnitsPage struct {
	Units []adminUnit
	Form  *Form
}

// unitTree orders the units depth-first (parents before their children).
func unitTree(units []permission.OrgUnit) []adminUnit {
	children := map[uuid.UUID][]permission.OrgUnit{}
	var roots []permission.OrgUnit
	known := map[uuid.UUID]bool{}
	for _, ou := range units {
		known[ou.ID] = true
	}
	for _, ou := range units {
		if ou.Parent == nil || !known[*ou.Parent] {
			roots = append(roots, ou)
			continue
		}
		children[*ou.Parent] = append(children[*ou.Parent], ou)
	}
	var out []adminUnit
	var walk func(ou permission.OrgUnit, depth int)
	walk = func(ou permission.OrgUnit, depth int) {
		au := adminUnit{OrgUnit: ou, Depth: min(depth, 3)}
		if ou.Parent != nil {
			au.ParentID = *ou.Parent
		}
		out = append(out, au)
		for _, c := range children[ou.ID] {
			walk(c, depth+1)
		}
	}
	for _, ou := range roots {
		walk(ou, 0)
	}
	return out
}

func (u *UI) renderUnits(w http.ResponseWriter, r *Request, status int, f *Form) error {
	units, err := u.app.Dir.OrgUnits(r.Context(), r.Principal.Tenant)
	if err != nil {
		return err
	}
	u.render(w, r.Request, r, status, "admin_units", &adminUnitsPage{Units: unitTree(units), Form: f})
	return nil
}

func (u *UI) adminUnits(w http.ResponseWriter, r *Request) error {
	return u.renderUnits(w, r, http.StatusOK, NewForm(nil))
}

// adminUnitsPost handles the unit forms, told apart by "op": create,
// rename, move and delete.
func (u *UI) adminUnitsPost(w http.ResponseWriter, r *Request) error {
	ctx, tenant := r.Context(), r.Principal.Tenant
	f := NewForm(r.PostForm)
	op := f.Get("op")
	var id uuid.UUID
	if op != "create" {
		var err error
		if id, err = uuid.Parse(f.Get("id")); err != nil {
			return kerr.ErrNotFound
		}
	}
	var err error
	switch op {
	case "create":
		parent, perr := uuid.Parse(f.Get("parent"))
		if perr != nil {
			f.Add("parent", msg.Field(validation.FieldError{Field: "parent", Code: validation.CodeRequired}))
			break
		}
		kind := permission.OrgUnitKind(f.Get("kind"))
		if kind != permission.UnitBranch && kind != permission.UnitDepartment {
			f.Add("kind", msg.Field(validation.FieldError{Field: "kind", Code: validation.CodeUnknown}))
			break
		}
		_, err = u.app.Dir.CreateOrgUnit(ctx, permission.OrgUnit{Tenant: tenant, Parent: &parent, Kind: kind,
			Name: strings.TrimSpace(f.Get("name"))})
	case "rename":
		err = u.app.Dir.RenameOrgUnit(ctx, tenant, id, strings.TrimSpace(f.Get("name")))
	case "move":
		parent, perr := uuid.Parse(f.Get("parent"))
		if perr != nil {
			f.Message = msg.T("admin.units.bad_move")
			break
		}
		err = u.app.Dir.MoveOrgUnit(ctx, tenant, id, parent)
		if errors.Is(err, kerr.ErrInvalid) {
			f.Message, err = msg.T("admin.units.bad_move"), nil
		}
	case "delete":
		err = u.app.Dir.DeleteOrgUnit(ctx, tenant, id)
		if errors.Is(err, kerr.ErrConflict) {
			f.Message = msg.T("admin.units.has_children")
			return u.renderUnits(w, r, http.StatusConflict, f)
		}
	default:
		return kerr.ErrInvalid
	}
	if err != nil && !f.AddError(err, nil) {
		return err
	}
	if !f.Valid() {
		if f.Message == "" {
			f.Message = msg.T("common.form_errors")
		}
		return u.renderUnits(w, r, http.StatusUnprocessableEntity, f)
	}
	flash := "common.saved"
	if op == "delete" {
		flash = "common.deleted"
	}
	redirect(w, r.Request, "/admin/units", flash)
	return nil
}

type adminGroupsPage struct {
	Groups []permission.Group
	Form   *Form
}

func (u *UI) renderGroups(w http.ResponseWriter, r *Request, status int, f *Form) error {
	groups, err := u.app.Dir.Groups(r.Context(), r.Principal.Tenant)
	if err != nil {
		return err
	}
	u.render(w, r.Request, r, status, "admin_groups", &adminGroupsPage{Groups: groups, Form: f})
	return nil
}

func (u *UI) adminGroups(w http.ResponseWriter, r *Request) error {
	return u.renderGroups(w, r, http.StatusOK, NewForm(nil))
}

// adminGroupsPost creates a group (the group page deletes one).
func (u *UI) adminGroupsPost(w http.ResponseWriter, r *Request) error {
	f := NewForm(r.PostForm)
	name := strings.TrimSpace(f.Get("name"))
	if name == "" {
		f.Add("name", msg.Field(validation.FieldError{Field: "name", Code: validation.CodeRequired}))
	} else {
		g, err := u.app.Dir.CreateGroup(r.Context(), r.Principal.Tenant, name)
		switch {
		case errors.Is(err, kerr.ErrConflict):
			f.Add("name", msg.Field(validation.FieldError{Field: "name", Code: validation.CodeDuplicate}))
		case err != nil && !f.AddError(err, nil):
			return err
		case err == nil:
			redirect(w, r.Request, "/admin/groups/"+g.ID.String(), "common.saved")
			return nil
		}
	}
	f.Message = msg.T("common.form_errors")
	return u.renderGroups(w, r, http.StatusUnprocessableEntity, f)
}

type adminGroupMember struct {
	User             permission.User
	Member, Manager  bool
	ManagerWithoutRl bool
}

type adminGroupPage struct {
	Group   *permission.Group
	Members []adminGroupMember
}

func (u *UI) group(r *Request) (*permission.Group, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	groups, err := u.app.Dir.Groups(r.Context(), r.Principal.Tenant)
	if err != nil {
		return nil, err
	}
	for i := range groups {
		if groups[i].ID == id {
			return &groups[i], nil
		}
	}
	return nil, kerr.ErrNotFound
}

func (u *UI) adminGroup(w http.ResponseWriter, r *Request) error {
	g, err := u.group(r)
	if err != nil {
		return err
	}
	users, err := u.app.Staff.Users(r.Context(), r.Principal.Tenant)
	if err != nil {
		return err
	}
	in := map[uuid.UUID]permission.Member{}
	for _, m := range g.Members {
		in[m.User] = m
	}
	p := &adminGroupPage{Group: g}
	for _, usr := range users {
		m, ok := in[usr.ID]
		if !usr.Active && !ok {
			continue
		}
		isMgr := false
		for _, role := range usr.Roles {
			isMgr = isMgr || role == permission.RoleManager
		}
		p.Members = append(p.Members, adminGroupMember{User: usr, Member: ok, Manager: m.Manager,
			ManagerWithoutRl: m.Manager && !isMgr})
	}
	u.render(w, r.Request, r, http.StatusOK, "admin_group", p)
	return nil
}

// adminGroupPost saves a group's members ("member" and "manager" hold user
// IDs; a manager is a member) or, with op=delete, deletes the group.
func (u *UI) adminGroupPost(w http.ResponseWriter, r *Request) error {
	ctx, tenant := r.Context(), r.Principal.Tenant
	g, err := u.group(r)
	if err != nil {
		return err
	}
	if r.PostFormValue("op") == "delete" {
		if err := u.app.Dir.DeleteGroup(ctx, tenant, g.ID); err != nil {
			return err
		}
		redirect(w, r.Request, "/admin/groups", "common.deleted")
		return nil
	}
	members, err := formIDs(r.PostForm["member"])
	if err != nil {
		return err
	}
	managers, err := formIDs(r.PostForm["manager"])
	if err != nil {
		return err
	}
	set := map[uuid.UUID]bool{}
	var out []permission.Member
	for _, id := range managers {
		if !set[id] {
			set[id] = true
			out = append(out, permission.Member{User: id, Manager: true})
		}
	}
	for _, id := range members {
		if !set[id] {
			set[id] = true
			out = append(out, permission.Member{User: id})
		}
	}
	if err := u.app.Dir.SetGroupMembers(ctx, tenant, g.ID, out); err != nil {
		return err
	}
	redirect(w, r.Request, "/admin/groups/"+g.ID.String(), "common.saved")
	return nil
}
