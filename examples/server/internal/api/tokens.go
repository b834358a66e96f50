package api

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	capi "github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/examples/server/internal/web"
	"github.com/kirokuhq/kiroku/internal/kerr"
)

// routes are the token routes: a browser session authenticates them.
func (x *tokenAPI) routes() []capi.Route {
	session := &capi.SecurityScheme{Name: "session", Type: "apiKey", In: "cookie", Param: web.SessionCookie,
		Description: msg.T("api.security.session")}
	bySession := capi.AuthenticatorFunc(x.session)
	admins := []permission.Role{permission.RoleAdmin}
	return []capi.Route{
		{ID: "createToken", Tag: "tokens", Method: http.MethodPost, Path: capi.Version1 + "/tokens",
			Summary: "Create an API token (shown once)", Authenticator: bySession, Security: session,
			Request: TokenRequest{}, Response: NewToken{}, Status: http.StatusCreated, Handler: x.createToken},
		{ID: "listTokens", Tag: "tokens", Method: http.MethodGet, Path: capi.Version1 + "/tokens",
			Summary: "List my API tokens", Authenticator: bySession, Security: session,
			Response: TokenList{}, Status: http.StatusOK, Handler: x.listTokens},
		{ID: "revokeToken", Tag: "tokens", Method: http.MethodDelete, Path: capi.Version1 + "/tokens/{id}",
			Summary: "Revoke an API token", Authenticator: bySession, Security: session,
			Params: []capi.Param{{Name: "id", In: "path", Type: "string", Required: true, Description: "UUID"}},
			Status: http.StatusNoContent, Handler: x.revokeToken},
		{ID: "listUserTokens", Tag: "tokens", Method: http.MethodGet, Path: capi.Version1 + "/users/{user}/tokens",
			Summary: "List a user's API tokens (admins)", Authenticator: bySession, Security: session,
			Params: []capi.Param{userParam}, Response: TokenList{}, Status: http.StatusOK, Roles: admins,
			Handler: x.listUserTokens},
		{ID: "revokeUserToken", Tag: "tokens", Method: http.MethodDelete, Path: capi.Version1 + "/users/{user}/tokens/{id}",
			Summary: "Revoke a user's API token (admins)", Authenticator: bySession, Security: session,
			Params: []capi.Param{userParam, {Name: "id", In: "path", Type: "string", Required: true, Description: "UUID"}},
			Status: http.StatusNoContent, Roles: admins, Handler: x.revokeUserToken},
	}
}

var userParam = capi.Param{Name: "user", In: "path", Type: "string", Required: true, Description: "the user's UUID"}

// adminTarget is the tenant and the {user} of an admin's token route;
// anyone but an admin: ErrPermissionDenied.
func adminTarget(r *http.Request) (tenant, user uuid.UUID, err error) {
	p, err := permission.Require(r.Context())
	if err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	if !p.Has(permission.RoleAdmin) {
		return uuid.Nil, uuid.Nil, kerr.ErrPermissionDenied
	}
	user, err = capi.PathID(r, "user")
	return p.Tenant, user, err
}

func (x *tokenAPI) listUserTokens(w http.ResponseWriter, r *http.Request) error {
	tenant, user, err := adminTarget(r)
	if err != nil {
		return err
	}
	ts, err := x.tokens.List(r.Context(), tenant, user)
	if err != nil {
		return err
	}
	return capi.WriteJSON(w, http.StatusOK, TokenList{Tokens: ts})
}

func (x *tokenAPI) revokeUserToken(w http.ResponseWriter, r *http.Request) error {
	tenant, user, err := adminTarget(r)
	if err != nil {
		return err
	}
	id, err := capi.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := x.tokens.Revoke(r.Context(), tenant, user, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// TokenRequest creates a token.
type TokenRequest struct {
	// Name says what the token is for.
	Name string `json:"name"`
	// ExpiresInDays: 0 keeps the token until it is revoked.
	ExpiresInDays int `json:"expires_in_days,omitempty"`
}

// NewToken is a created token with its secret, shown this once.
type NewToken struct {
	auth.Token
	// Secret is the bearer token: "Authorization: Bearer <secret>".
	Secret string `json:"token"`
}

// TokenList lists tokens.
type TokenList struct {
	Tokens []auth.Token `json:"tokens"`
}

func (x *tokenAPI) createToken(w http.ResponseWriter, r *http.Request) error {
	var in TokenRequest
	if err := capi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := permission.Require(r.Context())
	if err != nil {
		return err
	}
	t, secret, err := x.tokens.Create(r.Context(), p.Tenant, p.User, in.Name, time.Duration(in.ExpiresInDays)*24*time.Hour)
	if err != nil {
		return err
	}
	return capi.WriteJSON(w, http.StatusCreated, NewToken{Token: *t, Secret: secret})
}

func (x *tokenAPI) listTokens(w http.ResponseWriter, r *http.Request) error {
	p, err := permission.Require(r.Context())
	if err != nil {
		return err
	}
	ts, err := x.tokens.List(r.Context(), p.Tenant, p.User)
	if err != nil {
		return err
	}
	return capi.WriteJSON(w, http.StatusOK, TokenList{Tokens: ts})
}

func (x *tokenAPI) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := capi.PathID(r, "id")
	if err != nil {
		return err
	}
	p, err := permission.Require(r.Context())
	if err != nil {
		return err
	}
	if err := x.tokens.Revoke(r.Context(), p.Tenant, p.User, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
