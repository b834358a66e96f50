package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// API tokens: each user creates, lists and revokes their own at
// /account/tokens (the secret shown once, on the page answering the
// creation); an admin lists and revokes any user's at
// /admin/users/{id}/tokens.

func (u *UI) tokenRoutes(mux *http.ServeMux) {
	mux.Handle("GET /account/tokens", u.page(u.myTokens))
	mux.Handle("POST /account/tokens", u.page(u.createMyToken))
	mux.Handle("POST /account/tokens/{token}/revoke", u.page(u.revokeMyToken))
	admin := func(h handlerFunc) http.Handler { return u.page(h, permission.RoleAdmin) }
	mux.Handle("GET /admin/users/{id}/tokens", admin(u.userTokens))
	mux.Handle("POST /admin/users/{id}/tokens/{token}/revoke", admin(u.revokeUserToken))
}

// tokensPage lists one user's tokens; Secret is the token just created.
type tokensPage struct {
	Owner  *permission.User
	Self   bool
	Tokens []auth.Token
	Secret string
	Form   *Form
	Now    time.Time
	Loc    *time.Location
	Max    int
}

func (u *UI) renderTokens(w http.ResponseWriter, r *Request, status int, owner *permission.User, f *Form, secret string) error {
	ts, err := u.app.Tokens.List(r.Context(), r.Principal.Tenant, owner.ID)
	if err != nil {
		return err
	}
	if f == nil {
		f = NewForm(nil)
		f.Values.Set("days", "90")
	}
	self := owner.ID == r.Principal.User
	u.render(w, r.Request, r, status, "tokens", &tokensPage{Owner: owner, Self: self, Tokens: ts, Secret: secret,
		Form: f, Now: u.app.Clock(), Loc: r.Principal.Location, Max: auth.MaxTokenDays})
	return nil
}

func (u *UI) myTokens(w http.ResponseWriter, r *Request) error {
	return u.renderTokens(w, r, http.StatusOK, r.User, nil, "")
}

// createMyToken creates a token and shows its secret on this answer only:
// never in a redirect, a cookie or a log.
func (u *UI) createMyToken(w http.ResponseWriter, r *Request) error {
	f := NewForm(r.PostForm)
	days, err := strconv.Atoi(f.Get("days"))
	if err != nil || days < 0 {
		var ve validation.Error
		ve.Add("expires_in_days", validation.CodeFormat, "")
		f.AddError(ve.Err(), map[string]string{"expires_in_days": "days"})
		return u.renderTokens(w, r, http.StatusUnprocessableEntity, r.User, f, "")
	}
	_, secret, err := u.app.Tokens.Create(r.Context(), r.Principal.Tenant, r.Principal.User, f.Get("name"),
		time.Duration(days)*24*time.Hour)
	if f.AddError(err, map[string]string{"expires_in_days": "days"}) {
		return u.renderTokens(w, r, http.StatusUnprocessableEntity, r.User, f, "")
	}
	if err != nil {
		return err
	}
	return u.renderTokens(w, r, http.StatusOK, r.User, nil, secret)
}

func (u *UI) revokeMyToken(w http.ResponseWriter, r *Request) error {
	id, err := uuid.Parse(r.PathValue("token"))
	if err != nil {
		return kerr.ErrNotFound
	}
	if err := u.app.Tokens.Revoke(r.Context(), r.Principal.Tenant, r.Principal.User, id); err != nil {
		return err
	}
	redirect(w, r.Request, "/account/tokens", "tokens.revoked")
	return nil
}

// tokenOwner is the user of the {id} path value, in the admin's tenant.
func (u *UI) tokenOwner(r *Request) (*permission.User, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return u.app.Dir.User(r.Context(), r.Principal.Tenant, id)
}

func (u *UI) userTokens(w http.ResponseWriter, r *Request) error {
	owner, err := u.tokenOwner(r)
	if err != nil {
		return err
	}
	return u.renderTokens(w, r, http.StatusOK, owner, nil, "")
}

func (u *UI) revokeUserToken(w http.ResponseWriter, r *Request) error {
	owner, err := u.tokenOwner(r)
	if err != nil {
		return err
	}
	id, err := uuid.Parse(r.PathValue("token"))
	if err != nil {
		return kerr.ErrNotFound
	}
	if err := u.app.Tokens.Revoke(r.Context(), r.Principal.Tenant, owner.ID, id); err != nil {
		return err
	}
	redirect(w, r.Request, "/admin/users/"+owner.ID.String()+"/tokens", "tokens.revoked")
	return nil
}
