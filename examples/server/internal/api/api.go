// Package api is the example server's JSON API under /api/: the public
// contactlog/api server (customers, records, attachments, comments,
// templates, masters, CSV import and export at /api/v1, its OpenAPI 3.1
// document at /api/openapi.json) plus the example server's own API tokens.
//
// Authentication:
//
//   - "Authorization: Bearer kiroku_<token>" with a per-user API token; the
//     request acts as that user (an inactive user's tokens stop working).
//   - Tokens are created, listed and revoked at /api/v1/tokens by a
//     logged-in browser session (the session cookie plus the session's CSRF
//     token in the X-CSRF-Token header on writes); the token is shown once
//     and only its SHA-256 is stored.
//
// Both plug into the public server: the bearer token as its Authenticator,
// the token routes as extra routes with the session Authenticator. Summaries
// and problem titles come from the Japanese message catalog.
package api

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	capi "github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/app"
	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/examples/server/internal/web"
)

// Mount is where the API is mounted; Prefix is where version 1 lives.
const (
	Mount  = "/api"
	Prefix = Mount + capi.Version1
)

var (
	errNoToken = &capi.Error{Code: "unauthenticated", Status: http.StatusUnauthorized}
	errCSRF    = &capi.Error{Code: "csrf", Status: http.StatusForbidden}
)

// New builds the API over a.
func New(a *app.App) (*capi.Server, error) {
	x := &tokenAPI{app: a, tokens: NewTokens(a.DB, a.Clock)}
	return capi.New(&capi.Options{
		Prefix:        Mount,
		DB:            a.DB,
		Customers:     a.Customers,
		Records:       a.Records,
		Templates:     a.Templates,
		Authenticator: capi.AuthenticatorFunc(x.bearer),
		Security:      &capi.SecurityScheme{Name: "bearer", Type: "http", Scheme: "bearer", Description: TokenPrefix + "<token>"},
		Extra:         append(x.routes(), x.lockoutRoutes()...),
		Messages: func(key string) (string, bool) {
			return msg.T("api." + key), msg.Has("api." + key)
		},
		Logger: a.Logger,
		Clock:  a.Clock,
	})
}

// tokenAPI serves the token routes and authenticates requests.
type tokenAPI struct {
	app    *app.App
	tokens *Tokens
}

// bearer authenticates the API token of the Authorization header.
func (x *tokenAPI) bearer(r *http.Request) (permission.Principal, error) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return permission.Principal{}, errNoToken
	}
	t, err := x.tokens.Verify(r.Context(), strings.TrimSpace(tok))
	if err != nil {
		return permission.Principal{}, err
	}
	return x.app.Principal(r.Context(), t.Tenant, t.User)
}

// session authenticates the browser session of the request; writes need
// its CSRF token in X-CSRF-Token.
func (x *tokenAPI) session(r *http.Request) (permission.Principal, error) {
	c, err := r.Cookie(web.SessionCookie)
	if err != nil {
		return permission.Principal{}, capi.ErrUnauthenticated
	}
	s, err := x.app.Auth.Session(r.Context(), c.Value)
	if errors.Is(err, auth.ErrNoSession) {
		return permission.Principal{}, capi.ErrUnauthenticated
	}
	if err != nil {
		return permission.Principal{}, err
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		tok := r.Header.Get("X-CSRF-Token")
		if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(s.CSRF)) != 1 {
			return permission.Principal{}, errCSRF
		}
	}
	return x.app.Principal(r.Context(), s.TenantID, s.UserID)
}
