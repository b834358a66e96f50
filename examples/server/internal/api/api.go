// Package api is the example server's JSON API under /api/: the public
// contactlog/api server (customers, records, attachments, comments,
// templates, masters, CSV import and export at /api/v1, with the schedule
// engine's routes from schedule/api: appointments, calendar, feed tokens,
// requests; its OpenAPI 3.1
// document at /api/openapi.json) plus the example server's own API tokens.
//
// Authentication:
//
//   - "Authorization: Bearer kiroku_<token>" with a per-user API token; the
//     request acts as that user (an inactive user's tokens stop working).
//   - Tokens are created, listed and revoked on the web page
//     /account/tokens, or at /api/v1/tokens by a logged-in browser session
//     (the session cookie plus the session's CSRF token in the
//     X-CSRF-Token header on writes); the token is shown once and only its
//     SHA-256 is stored (the store is auth.Tokens).
//
// Both plug into the public server: the bearer token as its Authenticator,
// the token routes as extra routes with the session Authenticator. Summaries
// and problem titles come from the Japanese message catalog.
package api

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"strings"

	capi "github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/contactlog/portal"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/examples/server/internal/app"
	"github.com/kirokuhq/kiroku/examples/server/internal/auth"
	"github.com/kirokuhq/kiroku/examples/server/internal/msg"
	"github.com/kirokuhq/kiroku/examples/server/internal/web"
	reportapi "github.com/kirokuhq/kiroku/report/api"
	sapi "github.com/kirokuhq/kiroku/schedule/api"
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
	x := &tokenAPI{app: a, tokens: a.Tokens}
	return capi.New(&capi.Options{
		Prefix:        Mount,
		DB:            a.DB,
		Customers:     a.Customers,
		Records:       a.Records,
		Templates:     a.Templates,
		Authenticator: capi.AuthenticatorFunc(x.bearer),
		Security: &capi.SecurityScheme{Name: "bearer", Type: "http", Scheme: "bearer",
			Description: msg.T("api.security.bearer", auth.TokenPrefix, Mount+capi.Version1+"/tokens")},
		Extra: slices.Concat(x.routes(), reportapi.Routes(a.Reports), reportapi.SalesRoutes(a.Reports), reportapi.CatalogRoutes(a.Catalog), sapi.Routes(a.Schedule),
			a.PDF.Routes(), x.lockoutRoutes(), portal.Routes(a.Portal, a.PortalAuth, a.Records)),
		Messages: func(key string) (string, bool) {
			return msg.T("api." + key), msg.Has("api." + key)
		},
		FieldMessage: fieldMessage,
		Logger:       a.Logger,
		Clock:        a.Clock,
	})
}

// fieldMessage says a field problem in Japanese from the catalog: the
// field's label, when the catalog has one, and the code's sentence.
func fieldMessage(f capi.FieldError) string {
	text := msg.Field(validation.FieldError{Field: f.Field, Code: f.Code, Param: f.Param})
	if label := "csv.field." + f.Field; msg.Has(label) {
		return msg.T(label) + "：" + text
	}
	return text
}

// tokenAPI serves the token routes and authenticates requests.
type tokenAPI struct {
	app    *app.App
	tokens *auth.Tokens
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
