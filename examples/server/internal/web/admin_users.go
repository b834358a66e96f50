package web

import (
	"context"
	"errors"
	"net/http"
	netmail "net/mail"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// InviteLinkTTL is how long a set-password link issued by an admin stays
// valid.
const InviteLinkTTL = 72 * time.Hour

// adminRoles are the roles offered on the user form, in display order.
var adminRoles = []permission.Role{permission.RoleAdmin, permission.RoleManager, permission.RoleStaff,
	permission.RolePartner}

type adminUserRow struct {
	User  permission.User
	Units []string
}

func (u *UI) adminUsers(w http.ResponseWriter, r *Request) error {
	ctx, tenant := r.Context(), r.Principal.Tenant
	users, err := u.app.Staff.Users(ctx, tenant)
	if err != nil {
		return err
	}
	_, names, err := u.unitNames(ctx, tenant)
	if err != nil {
		return err
	}
	ms, err := u.app.Dir.OrgMemberships(ctx, tenant)
	if err != nil {
		return err
	}
	byUser := map[uuid.UUID][]string{}
	for user, units := range ms {
		for _, unit := range units {
			byUser[user] = append(byUser[user], names[unit])
		}
	}
	rows := make([]adminUserRow, len(users))
	for i, usr := range users {
		rows[i] = adminUserRow{User: usr, Units: byUser[usr.ID]}
	}
	u.render(w, r.Request, r, http.StatusOK, "admin_users", rows)
	return nil
}

type adminUserPage struct {
	Form  *Form
	New   bool
	ID    uuid.UUID
	Roles []permission.Role
	Units []permission.OrgUnit
	Self  bool
}

func (u *UI) userPage(ctx context.Context, r *Request, f *Form, id uuid.UUID) (*adminUserPage, error) {
	units, err := u.app.Dir.OrgUnits(ctx, r.Principal.Tenant)
	if err != nil {
		return nil, err
	}
	return &adminUserPage{Form: f, New: id == uuid.Nil, ID: id, Roles: adminRoles, Units: units,
		Self: id == r.Principal.User}, nil
}

func (u *UI) adminUserNew(w http.ResponseWriter, r *Request) error {
	f := NewForm(nil)
	f.Values.Set("roles", string(permission.RoleStaff))
	p, err := u.userPage(r.Context(), r, f, uuid.Nil)
	if err != nil {
		return err
	}
	u.render(w, r.Request, r, http.StatusOK, "admin_user_form", p)
	return nil
}

// userFromForm reads and checks the fields shared by create and edit.
func userFromForm(f *Form) (permission.User, []uuid.UUID, error) {
	usr := permission.User{Name: strings.TrimSpace(f.Get("name")), Kana: strings.TrimSpace(f.Get("kana")),
		Email: auth.NormalizeLogin(f.Get("email"))}
	f.Values.Set("email", usr.Email)
	for _, role := range f.Values["roles"] {
		usr.Roles = append(usr.Roles, permission.Role(role))
	}
	if len(usr.Roles) == 0 {
		f.Add("roles", msg.T("admin.users.roles_required"))
	}
	checkEmail(f, usr.Email)
	units, err := formIDs(f.Values["units"])
	return usr, units, err
}

// checkEmail puts on the form's "email" field what is wrong with a login
// e-mail address (normalized by auth.NormalizeLogin): missing, or not one
// plain address.
func checkEmail(f *Form, email string) {
	if email == "" {
		f.Add("email", msg.Field(validation.FieldError{Field: "email", Code: validation.CodeRequired}))
	} else if a, err := netmail.ParseAddress(email); err != nil || a.Address != email || a.Name != "" {
		f.Add("email", msg.Field(validation.FieldError{Field: "email", Code: validation.CodeFormat}))
	}
}

// saveUser stores the user, its login and its org units in one
// transaction, so that a taken login leaves no half-made user behind.
func (u *UI) saveUser(ctx context.Context, usr permission.User, units []uuid.UUID) (*permission.User, error) {
	var saved *permission.User
	err := storage.InTx(ctx, u.app.DB, func(ctx context.Context, tx bun.IDB) error {
		dir := u.app.Dir.WithDB(tx)
		var err error
		if saved, err = dir.SaveUser(ctx, usr); err != nil {
			return err
		}
		if err := u.app.Auth.WithDB(tx).SetLogin(ctx, usr.Tenant, saved.ID, usr.Email); err != nil {
			return err
		}
		return dir.SetUserOrgUnits(ctx, usr.Tenant, saved.ID, units)
	})
	return saved, err
}

// userSaveError puts a failed save on the form; it reports false for
// errors that are not the user's to fix.
func userSaveError(f *Form, err error) bool {
	if errors.Is(err, kerr.ErrConflict) {
		f.Add("email", msg.T("admin.users.email_taken"))
		f.Message = msg.T("common.form_errors")
		return true
	}
	return f.AddError(err, nil)
}

func (u *UI) adminUserCreate(w http.ResponseWriter, r *Request) error {
	ctx := r.Context()
	f := NewForm(r.PostForm)
	usr, units, err := userFromForm(f)
	if err != nil {
		return err
	}
	usr.Tenant, usr.Active = r.Principal.Tenant, true
	var saved *permission.User
	if f.Valid() {
		saved, err = u.saveUser(ctx, usr, units)
		if err != nil && !userSaveError(f, err) {
			return err
		}
	} else {
		f.Message = msg.T("common.form_errors")
	}
	if !f.Valid() {
		p, err := u.userPage(ctx, r, f, uuid.Nil)
		if err != nil {
			return err
		}
		u.render(w, r.Request, r, http.StatusUnprocessableEntity, "admin_user_form", p)
		return nil
	}
	return u.inviteResult(w, r, saved, true)
}

type adminLinkPage struct {
	User    *permission.User
	URL     string
	Created bool
	Mailed  bool
}

// inviteResult issues a single-use set-password link for usr, mails it,
// and shows it once.
func (u *UI) inviteResult(w http.ResponseWriter, r *Request, usr *permission.User, created bool) error {
	ctx := r.Context()
	token, err := u.app.Auth.IssueToken(ctx, r.Principal.Tenant, usr.ID, auth.PurposeSetPassword, InviteLinkTTL)
	if err != nil {
		return err
	}
	p := &adminLinkPage{User: usr, URL: u.app.Config.BaseURL + "/password/" + token, Created: created}
	if u.app.Mailer != nil {
		from := u.app.Config.MailFrom
		if from == "" {
			from = "kiroku@localhost"
		}
		err := u.app.Mailer.Send(ctx, mail.Message{
			From:    mail.Address{Name: msg.T("app.name"), Email: from},
			To:      []mail.Address{{Name: usr.Name, Email: usr.Email}},
			Subject: msg.T("admin.invite.subject"),
			Text:    msg.T("admin.invite.body", usr.Name, p.URL, int(InviteLinkTTL.Hours())),
		})
		if err != nil {
			// The link is on the page; the admin passes it on by hand.
			u.log.Warn("invite mail not sent", "user", usr.ID, "err", err)
		}
		p.Mailed = err == nil
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	u.render(w, r.Request, r, http.StatusOK, "admin_user_link", p)
	return nil
}

func (u *UI) adminUserEdit(w http.ResponseWriter, r *Request) error {
	ctx, tenant := r.Context(), r.Principal.Tenant
	id, err := pathID(r)
	if err != nil {
		return err
	}
	usr, err := u.app.Dir.User(ctx, tenant, id)
	if err != nil {
		return err
	}
	ms, err := u.app.Dir.OrgMemberships(ctx, tenant, id)
	if err != nil {
		return err
	}
	units := ms[id]
	f := NewForm(nil)
	f.Values.Set("name", usr.Name)
	f.Values.Set("kana", usr.Kana)
	f.Values.Set("email", usr.Email)
	for _, role := range usr.Roles {
		f.Values.Add("roles", string(role))
	}
	for _, unit := range units {
		f.Values.Add("units", unit.String())
	}
	if usr.Active {
		f.Values.Set("active", "1")
	}
	f.Values.Set("version", formatVersion(usr.Version))
	p, err := u.userPage(ctx, r, f, id)
	if err != nil {
		return err
	}
	u.render(w, r.Request, r, http.StatusOK, "admin_user_form", p)
	return nil
}

func (u *UI) adminUserUpdate(w http.ResponseWriter, r *Request) error {
	ctx, tenant := r.Context(), r.Principal.Tenant
	id, err := pathID(r)
	if err != nil {
		return err
	}
	cur, err := u.app.Dir.User(ctx, tenant, id)
	if err != nil {
		return err
	}
	if cur.Version != formVersion(r.PostFormValue("version")) {
		return kerr.ErrConflict
	}
	f := NewForm(r.PostForm)
	usr, units, err := userFromForm(f)
	if err != nil {
		return err
	}
	usr.ID, usr.Tenant, usr.ExternalID, usr.Active = id, tenant, cur.ExternalID, f.Get("active") != ""
	if id == r.Principal.User && (!usr.Active || !slices.Contains(usr.Roles, permission.RoleAdmin)) {
		f.Add("roles", msg.T("admin.users.self_lockout"))
	}
	if f.Valid() {
		if _, err := u.saveUser(ctx, usr, units); err != nil && !userSaveError(f, err) {
			return err
		}
	} else {
		f.Message = msg.T("common.form_errors")
	}
	if !f.Valid() {
		p, err := u.userPage(ctx, r, f, id)
		if err != nil {
			return err
		}
		u.render(w, r.Request, r, http.StatusUnprocessableEntity, "admin_user_form", p)
		return nil
	}
	if !usr.Active {
		if err := u.app.Auth.EndSessions(ctx, id); err != nil {
			return err
		}
	}
	redirect(w, r.Request, "/admin/users", "common.saved")
	return nil
}

func (u *UI) adminUserInvite(w http.ResponseWriter, r *Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	usr, err := u.app.Dir.User(r.Context(), r.Principal.Tenant, id)
	if err != nil {
		return err
	}
	if !usr.Active {
		return kerr.ErrConflict
	}
	return u.inviteResult(w, r, usr, false)
}
