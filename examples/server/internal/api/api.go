// Package api is the example server's JSON API under /api/: version 1 of the
// customer, record, attachment, comment, template, master, import and export
// endpoints at /api/v1, and the OpenAPI 3.1 document describing them at
// /api/openapi.json, generated from the route table below and the Go types
// the routes read and write.
//
// Conventions:
//
//   - Authentication: "Authorization: Bearer kiroku_<token>" with a per-user
//     API token; the request acts as that user (an inactive user's tokens
//     stop working). Tokens are created, listed and revoked at
//     /api/v1/tokens by a logged-in browser session (the session cookie plus
//     the session's CSRF token in the X-CSRF-Token header on writes); the
//     token is shown once and only its SHA-256 is stored.
//   - Errors are application/problem+json (RFC 9457) with type, title,
//     status and detail; validation problems (422) list
//     errors: [{field, code, param}] with the engines' stable codes.
//   - Optimistic locking: customers, records, attachments and comments carry
//     ETag "<version>"; PUT, PATCH and DELETE of them need If-Match (428
//     without, 412 when stale).
//   - POST requests with a JSON body accept Idempotency-Key: the first
//     request's response (when successful) is stored for 24 hours and
//     replayed for the same key and body; the same key with another body is
//     422; a request still running under the key is 409. The streamed POSTs
//     (attachment upload, CSV import) refuse the header with 400: their
//     bodies are not kept, so a replay could not be recognised.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/examples/server/internal/app"
)

// Prefix is where version 1 of the API lives.
const Prefix = "/api/v1"

// API serves /api/.
type API struct {
	app    *app.App
	tokens *Tokens
	idem   *idempotency
	routes []Route
	mux    *http.ServeMux
}

// New builds the API over a.
func New(a *app.App) *API {
	x := &API{app: a, tokens: NewTokens(a.DB, a.Clock), idem: &idempotency{db: a.DB, clock: a.Clock}}
	x.routes = x.table()
	x.mux = http.NewServeMux()
	for _, rt := range x.routes {
		x.mux.Handle(rt.Method+" "+rt.Path, x.wrap(rt))
	}
	x.mux.HandleFunc("GET /api/openapi.json", x.openAPI)
	// A path served with other methods is 405 with Allow; others are 404.
	allow := map[string][]string{}
	for _, rt := range x.routes {
		allow[rt.Path] = append(allow[rt.Path], rt.Method)
	}
	paths := http.NewServeMux()
	for p, ms := range allow {
		paths.Handle(p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", strings.Join(ms, ", "))
			writeProblem(w, r, errMethod)
		}))
	}
	x.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if h, pattern := paths.Handler(r); pattern != "" {
			h.ServeHTTP(w, r)
			return
		}
		writeProblem(w, r, errRouteNotFound)
	})
	return x
}

// ServeHTTP serves the API.
func (x *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { x.mux.ServeHTTP(w, r) }

// Routes returns the route table (tests check every route is documented).
func (x *API) Routes() []Route { return append([]Route(nil), x.routes...) }

// AuthKind says how a route authenticates.
type AuthKind int

// Authentication kinds.
const (
	// AuthBearer: an API token in the Authorization header.
	AuthBearer AuthKind = iota
	// AuthSession: the browser session cookie (and X-CSRF-Token on writes).
	AuthSession
)

// Body kinds of requests and responses besides JSON.
const (
	ctJSON      = "application/json"
	ctMultipart = "multipart/form-data"
	ctCSV       = "text/csv"
	ctBinary    = "application/octet-stream"
)

// Param documents a query or path parameter.
type Param struct {
	Name, In, Type, Description string
	Required                    bool
}

// Route is one endpoint: what it does, what it reads and writes (Go values
// whose types are turned into JSON Schemas), and its handler.
type Route struct {
	// ID is the OpenAPI operationId; its summary is the catalog message
	// "api.op.<ID>".
	ID     string
	Tag    string
	Method string
	// Path in net/http pattern syntax, e.g. /api/v1/customers/{id}.
	Path   string
	Params []Param
	// Request is a value of the JSON request body's type (nil: no JSON
	// body); RequestType overrides the media type (multipart, CSV).
	Request     any
	RequestType string
	// Response is a value of the success response's type (nil: no body);
	// ResponseType overrides the media type (CSV, files).
	Response     any
	ResponseType string
	// Status is the success status.
	Status int
	Auth   AuthKind
	// Roles the principal needs (documented; the engines enforce them).
	Roles []permission.Role
	// IfMatch: the request must carry If-Match (optimistic locking).
	IfMatch bool
	// ETag: the success response carries an ETag.
	ETag bool
	// Idempotent: POST with a JSON body accepting Idempotency-Key.
	Idempotent bool

	h func(w http.ResponseWriter, r *http.Request) error
}

// wrap authenticates the request, enforces If-Match and Idempotency-Key and
// turns the handler's error into a problem response.
func (x *API) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, err := x.authenticate(r, rt.Auth)
		if err != nil {
			writeProblem(w, r, err)
			return
		}
		r = r.WithContext(ctx)
		w.Header().Set("Cache-Control", "no-store")
		if rt.IfMatch && r.Header.Get("If-Match") == "" {
			writeProblem(w, r, errPreconditionRequired)
			return
		}
		h := rt.h
		switch {
		case r.Header.Get("Idempotency-Key") == "":
			err = h(w, r)
		case rt.Idempotent:
			err = x.idem.serve(w, r, h)
		case r.Method == http.MethodPost:
			// Streamed bodies (uploads, imports) are not stored: say so
			// rather than let the client believe a retry is safe.
			err = errIdemUnsupported
		default:
			err = h(w, r)
		}
		if err != nil {
			if problemOf(r, err).Status >= 500 {
				x.app.Logger.Error("api", "route", rt.ID, "err", err)
			}
			writeProblem(w, r, err)
		}
	})
}

// authenticate puts the principal of the request's token (or session) in
// its context.
func (x *API) authenticate(r *http.Request, kind AuthKind) (context.Context, error) {
	ctx := r.Context()
	var tenant, user uuid.UUID
	switch kind {
	case AuthSession:
		s, err := x.session(r)
		if err != nil {
			return nil, err
		}
		tenant, user = s.TenantID, s.UserID
	default:
		h := r.Header.Get("Authorization")
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return nil, errNoToken
		}
		t, err := x.tokens.Verify(ctx, strings.TrimSpace(tok))
		if err != nil {
			return nil, err
		}
		tenant, user = t.Tenant, t.User
	}
	p, err := x.app.Principal(ctx, tenant, user)
	if err != nil {
		return nil, err
	}
	return permission.WithPrincipal(ctx, p), nil
}

// --- helpers shared by the handlers ---

// pathID parses the {name} path value; a malformed ID is ErrNotFound (like
// an ID that names nothing).
func pathID(r *http.Request, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue(name))
	if err != nil {
		return uuid.Nil, fmt.Errorf("api: %s: %w", name, errNotFound)
	}
	return id, nil
}

// ifMatch is the version named by If-Match: "<version>" (W/ accepted).
func ifMatch(r *http.Request) (int64, error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	v = strings.TrimPrefix(v, "W/")
	n, err := strconv.ParseInt(strings.Trim(v, `"`), 10, 64)
	if err != nil || len(v) < 3 || v[0] != '"' || v[len(v)-1] != '"' {
		return 0, errBadIfMatch
	}
	return n, nil
}

// etag formats a version as a strong ETag.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// writeJSON writes v with the status (and ETag when version >= 0).
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", ctJSON)
	w.WriteHeader(status)
	return jsonEncoder(w).Encode(v)
}

// writeVersioned writes v with its ETag.
func writeVersioned(w http.ResponseWriter, status int, version int64, v any) error {
	w.Header().Set("ETag", etag(version))
	return writeJSON(w, status, v)
}

// logger is here for handlers that need to note something without failing.
func (x *API) logger() *slog.Logger { return x.app.Logger }
