// Package api is Kiroku's JSON API as an http.Handler an application mounts
// under any prefix: customers, contact records, attachments, comments,
// templates, masters, CSV import and export at <prefix>/v1, and the OpenAPI
// 3.1 document describing them at <prefix>/openapi.json, generated from the
// route table and the Go types the routes read and write.
//
//	srv, err := api.New(&api.Options{
//		Prefix:        "/crm/api",
//		DB:            db,
//		Customers:     customers,
//		Records:       records,
//		Templates:     templates,
//		Authenticator: api.AuthenticatorFunc(mySession),
//	})
//	mux.Handle("/crm/api/", srv)
//
// Run Migrate once at startup: it creates the engines' tables and the API's
// own (the stored responses of Idempotency-Key).
//
// # Conventions
//
//   - Authentication: every request goes through the Authenticator of
//     Options (or of its Route), which turns the request into a
//     permission.Principal: a bearer token, the application's session
//     cookie, a header set by a proxy — whatever the application uses. The
//     engines then filter and check everything as that principal. An
//     authenticator's ErrUnauthenticated is 401 with WWW-Authenticate.
//   - Errors are application/problem+json (RFC 9457) with type
//     ("urn:kiroku:problem:<code>"), title, status and detail; validation
//     problems (422) list errors: [{field, code, param, message}] with the
//     engines' stable codes, and the message Options.FieldMessage gives
//     each. Titles are English status texts unless Options.Messages
//     supplies them. A value a field cannot take is a 422 naming the field
//     whatever its cause: wrong JSON type, an unknown property, a date
//     outside its era.
//   - Round trip: a PUT accepts the body its GET returned. The stored
//     object's own properties (id, version, created_at, …) are read-only:
//     accepted, ignored and marked readOnly in the document; an omitted
//     list that has its own permission (a customer's assignees) is left
//     unchanged.
//   - Optimistic locking: customers, records, attachments and comments carry
//     ETag "<version>"; PUT, PATCH and DELETE of them need If-Match (428
//     without, 412 when stale).
//   - POST requests with a JSON body accept Idempotency-Key (at most 255
//     bytes): the first request's response (when successful) is stored for
//     IdempotencyTTL and replayed, with Idempotent-Replayed: true, for the
//     same principal, key, method, URL and body; the same key with another
//     request is 422; a request still running under the key is 409 with
//     Retry-After. The streamed POSTs (attachment upload, CSV import) refuse
//     the header with 400: their bodies are not kept, so a replay could not
//     be recognised.
//   - Paging: searches return one page and, in "next", the cursor of the
//     following one; pass it back as "after" (with the same query). "limit"
//     sets the page size (the engines cap it); "total=true" also counts all
//     matches.
//   - Unknown paths are 404, a known path with another method is 405 with
//     Allow; both are problem+json. Responses carry Cache-Control: no-store.
//
// # Adding routes
//
// Options.Extra adds routes to the same handler and the same OpenAPI
// document: later engines (schedule, report, the customer portal) and the
// host application describe their endpoints as Route values with a Handler,
// and get authentication, If-Match, Idempotency-Key, problem responses and
// documentation the same way as the built-in routes. Handlers use DecodeJSON,
// WriteJSON, WriteVersioned, PathID and IfMatch, and return errors: an
// engine sentinel or validation error, or an *Error, becomes the matching
// problem response.
package api

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/kerr"
	"github.com/kirokuhq/kiroku/internal/migration"
)

// Errors an Authenticator or an extra route's handler returns to get the
// matching problem response (401, 403, 404, 409 or 412, 400).
var (
	ErrUnauthenticated  = kerr.ErrUnauthenticated
	ErrPermissionDenied = kerr.ErrPermissionDenied
	ErrNotFound         = kerr.ErrNotFound
	ErrConflict         = kerr.ErrConflict
	ErrInvalid          = kerr.ErrInvalid
)

// Version1 is the path, below the prefix, of version 1 of the API.
const Version1 = "/v1"

//go:embed migrations
var migrations embed.FS

// Migrate creates or upgrades the tables the API needs: the engines' (see
// contactlog.Migrate) and the stored responses of Idempotency-Key. It is
// safe to run from several processes at once.
func Migrate(ctx context.Context, db *bun.DB) error {
	if err := contactlog.Migrate(ctx, db); err != nil {
		return err
	}
	return migration.Run(ctx, db, migration.Set{Name: "api", FS: migrations})
}

// Authenticator turns a request into the principal it acts as.
type Authenticator interface {
	// Authenticate returns the principal of r. A request without valid
	// credentials returns an error matching ErrUnauthenticated (401); an
	// *Error chooses another status (e.g. 403 for a missing CSRF token).
	Authenticate(r *http.Request) (permission.Principal, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(r *http.Request) (permission.Principal, error)

// Authenticate calls f(r).
func (f AuthenticatorFunc) Authenticate(r *http.Request) (permission.Principal, error) { return f(r) }

// Options configure a Server. DB, Customers, Records and Authenticator are
// required; every other field has a default.
type Options struct {
	// Prefix is where the handler is mounted, without a trailing slash,
	// e.g. "/crm/api" (default ""). The handler serves <Prefix>/v1/… and
	// <Prefix>/openapi.json; mount it at <Prefix>/ of the application's
	// mux.
	Prefix string
	// DB holds the table Migrate creates (stored Idempotency-Key
	// responses).
	DB bun.IDB
	// Customers serves /v1/customers.
	Customers *customer.Service
	// Records serves /v1/records, attachments, comments and masters.
	Records *contactlog.Service
	// Templates serves /v1/templates. Default: the built-in templates and
	// the tenant's own on DB; pass the registry given to
	// contactlog.NewService when it has more sources (plugins).
	Templates *template.Registry
	// Authenticator authenticates every route that has none of its own.
	Authenticator Authenticator
	// Security describes Authenticator in the OpenAPI document. Default: an
	// HTTP bearer scheme named "bearer".
	Security *SecurityScheme
	// Extra routes are served and documented beside the built-in ones.
	// Their paths are below Prefix like the built-in ones ("/v1/…"); a
	// method and path that is already taken is an error of New.
	Extra []Route
	// Messages localizes the OpenAPI document and problem titles: it is
	// asked for "title" and "description" (the document's info),
	// "op.<Route.ID>" (operation summaries), "op.<Route.ID>.description"
	// (operation descriptions) and "problem.<code>" (problem titles), and
	// answers ok=false to keep the default (Route.Summary,
	// Route.Description, the HTTP status text, …). Default: nil, every
	// text in English.
	Messages func(key string) (text string, ok bool)
	// FieldMessage says one field problem of a validation failure for
	// people — "生年月日: 元号の期間外の日付です" — and fills
	// FieldError.Message beside its field and code. Default: nil, no
	// message (clients map the codes themselves).
	FieldMessage func(FieldError) string
	// Logger receives the errors behind 500 responses. Default:
	// slog.Default().
	Logger *slog.Logger
	// Clock is the time of stored Idempotency-Key responses. Default:
	// time.Now.
	Clock func() time.Time
}

// Server is the JSON API: an http.Handler with its OpenAPI document.
type Server struct {
	opts    Options
	idem    *idempotency
	routes  []Route
	mux     *http.ServeMux
	openAPI []byte
}

// New builds the API described by opts. It checks the options and that
// every route is well formed (unique method and path, unique ID, an
// Authenticator with its Security) and generates the OpenAPI document.
func New(opts *Options) (*Server, error) {
	if opts == nil {
		return nil, errors.New("api: options are required")
	}
	o := *opts
	if err := o.validate(); err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Templates == nil {
		st, err := template.NewStore(o.DB, &template.Config{Clock: o.Clock})
		if err != nil {
			return nil, err
		}
		o.Templates = template.NewRegistry(st)
	}
	if o.Security == nil {
		o.Security = &SecurityScheme{Name: "bearer", Type: "http", Scheme: "bearer"}
	}
	s := &Server{opts: o, idem: &idempotency{db: o.DB, clock: o.Clock}}
	s.routes = append(s.builtin(), o.Extra...)
	if err := s.checkRoutes(); err != nil {
		return nil, err
	}
	doc, err := s.document()
	if err != nil {
		return nil, err
	}
	s.openAPI = doc
	s.mux = http.NewServeMux()
	allow := map[string][]string{}
	for _, rt := range s.routes {
		s.mux.Handle(rt.Method+" "+o.Prefix+rt.Path, s.wrap(rt))
		allow[o.Prefix+rt.Path] = append(allow[o.Prefix+rt.Path], rt.Method)
	}
	s.mux.HandleFunc("GET "+o.Prefix+"/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ctJSON)
		_, _ = w.Write(s.openAPI)
	})
	// A path served with other methods is 405 with Allow; others are 404.
	paths := http.NewServeMux()
	for p, ms := range allow {
		paths.Handle(p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", strings.Join(ms, ", "))
			s.writeProblem(w, r, errMethod)
		}))
	}
	s.mux.HandleFunc(o.Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		if h, pattern := paths.Handler(r); pattern != "" {
			h.ServeHTTP(w, r)
			return
		}
		s.writeProblem(w, r, errRouteNotFound)
	})
	return s, nil
}

func (o *Options) validate() error {
	var missing []string
	for name, absent := range map[string]bool{
		"DB": o.DB == nil, "Customers": o.Customers == nil, "Records": o.Records == nil,
		"Authenticator": o.Authenticator == nil,
	} {
		if absent {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("api: Options.%s is required", strings.Join(missing, ", Options."))
	}
	if strings.HasSuffix(o.Prefix, "/") || (o.Prefix != "" && !strings.HasPrefix(o.Prefix, "/")) {
		return fmt.Errorf("api: Options.Prefix %q must start with / and not end with it", o.Prefix)
	}
	return nil
}

// checkRoutes refuses routes the mux or the document could not tell apart.
func (s *Server) checkRoutes() error {
	ids := map[string]bool{}
	keys := map[string]bool{}
	for _, rt := range s.routes {
		key := rt.Method + " " + rt.Path
		switch {
		case rt.ID == "" || rt.Method == "" || !strings.HasPrefix(rt.Path, "/") || rt.Status == 0 || rt.Handler == nil:
			return fmt.Errorf("api: route %q (%s): ID, Method, Path (starting with /), Status and Handler are required", rt.ID, key)
		case ids[rt.ID]:
			return fmt.Errorf("api: route ID %q is used twice", rt.ID)
		case keys[key]:
			return fmt.Errorf("api: route %s is defined twice", key)
		case rt.Authenticator != nil && rt.Security == nil:
			return fmt.Errorf("api: route %q: an Authenticator needs its Security", rt.ID)
		}
		ids[rt.ID], keys[key] = true, true
	}
	return nil
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// OpenAPI returns the OpenAPI 3.1 document (JSON) served at
// <Prefix>/openapi.json. The caller may keep it: it is a copy.
func (s *Server) OpenAPI() []byte { return append([]byte(nil), s.openAPI...) }

// Routes returns every route the server serves, built-in and extra, in the
// order of the document.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// text is the localized text of key, or def.
func (s *Server) text(key, def string) string {
	if s.opts.Messages != nil {
		if t, ok := s.opts.Messages(key); ok {
			return t
		}
	}
	return def
}

// wrap authenticates the request, enforces If-Match and Idempotency-Key and
// turns the handler's error into a problem response.
func (s *Server) wrap(rt Route) http.Handler {
	auth := rt.Authenticator
	if auth == nil {
		auth = s.opts.Authenticator
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := auth.Authenticate(r)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		r = r.WithContext(permission.WithPrincipal(r.Context(), p))
		w.Header().Set("Cache-Control", "no-store")
		if rt.IfMatch && r.Header.Get("If-Match") == "" {
			s.writeProblem(w, r, errPreconditionRequired)
			return
		}
		switch {
		case r.Header.Get("Idempotency-Key") == "":
			err = rt.Handler(w, r)
		case rt.Idempotent:
			err = s.idem.serve(w, r, rt.Handler)
		case r.Method == http.MethodPost:
			// Streamed bodies (uploads, imports) are not stored: say so
			// rather than let the client believe a retry is safe.
			err = errIdemUnsupported
		default:
			err = rt.Handler(w, r)
		}
		if err != nil {
			if problemOf(r, err).Status >= 500 {
				s.opts.Logger.Error("api", "route", rt.ID, "err", err)
			}
			s.writeProblem(w, r, err)
		}
	})
}
