// Embed is the smallest program that mounts Kiroku into an existing
// net/http application: the application keeps its own users and its own
// login, uses Kiroku's customer and contact-record engines from its own
// handlers, and mounts Kiroku's JSON API (package contactlog/api) under
// /crm/api/ behind the same login. It imports no internal package of
// Kiroku: copy this directory out of the module and it builds.
//
//	go run ./examples/embed -postgres 'postgres://user@localhost/app?sslmode=disable'
//	go run ./examples/embed                 # SQLite in ./embed-data instead
//
//	curl -H 'X-App-User: alice' localhost:8081/crm/customers
//	curl -H 'X-App-User: alice' -d '{"family_name":"山田","family_kana":"ヤマダ"}' localhost:8081/crm/customers
//	curl -H 'X-App-User: bob' -d '{"public_memo":"電話で見積依頼"}' localhost:8081/crm/customers/ID/records
//	curl -H 'X-App-User: bob' localhost:8081/crm/customers/ID/records
//	curl -H 'X-App-User: bob' localhost:8081/crm/api/v1/records?customer=ID   # the JSON API
//	curl localhost:8081/crm/api/openapi.json                                # its OpenAPI document
//
// The wiring, in the order a real application needs it:
//
//  1. Open the database (the application's own PostgreSQL; Kiroku's tables
//     live beside its own; openDB shows the driver settings Kiroku expects)
//     and run api.Migrate, which also migrates the permission directory,
//     the customer and contact-record engines.
//  2. Sync the application's users into Kiroku's directory with
//     Directory.SaveUser and ExternalID = the application's own user ID
//     (SaveUser finds the user by it, so syncing again updates, never
//     duplicates). Roles and active flags come from the application.
//  3. Build the engines: permission.NewEngine is the Authorizer of
//     customer.NewService and contactlog.NewService.
//  4. In a middleware, after the application's own authentication (here a
//     header standing in for its session cookie), look the user's principal
//     up (Directory.Principal) and put it into the request context with
//     permission.WithPrincipal. Every engine call then acts as that user:
//     the engines filter and check permissions in SQL.
//  5. Mount the JSON API with api.New: the same engines, and an
//     Authenticator that asks the same login (appLogin) for the user.
//
// Engine errors map to HTTP statuses with errors.Is (ErrNotFound → 404,
// ErrPermissionDenied → 403, validation errors → 422).
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver (pure Go)

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
)

// appUser is a user of the host application (its own table, in real life).
type appUser struct {
	ID, Name, Kana, Email string
	Admin                 bool
}

// appUsers are the host application's users.
var appUsers = []appUser{
	{ID: "alice", Name: "佐藤 愛", Kana: "サトウ アイ", Email: "alice@example.com", Admin: true},
	{ID: "bob", Name: "鈴木 勉", Kana: "スズキ ツトム", Email: "bob@example.com"},
}

// tenant is the application's one Kiroku tenant (fixed, so restarts reuse it).
var tenant = uuid.MustParse("6b69726f-6b75-7000-8000-0000000000e1")

// CRM is Kiroku mounted into the application.
type CRM struct {
	dir       *permission.Directory
	customers *customer.Service
	records   *contactlog.Service
	api       *api.Server
	users     map[string]uuid.UUID // application user ID → Kiroku user
}

// NewCRM migrates db, syncs the application's users and builds the engines.
func NewCRM(ctx context.Context, db *bun.DB) (*CRM, error) {
	if err := api.Migrate(ctx, db); err != nil {
		return nil, err
	}
	c := &CRM{users: map[string]uuid.UUID{}}
	var err error
	if c.dir, err = permission.NewDirectory(db, nil); err != nil {
		return nil, err
	}
	if _, err := c.dir.Tenant(ctx, tenant); errors.Is(err, permission.ErrNotFound) {
		_, err = c.dir.CreateTenant(ctx, permission.Tenant{ID: tenant, Name: "埋め込みデモ"})
		if err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	for _, u := range appUsers {
		role := permission.RoleStaff
		if u.Admin {
			role = permission.RoleAdmin
		}
		saved, err := c.dir.SaveUser(ctx, permission.User{Tenant: tenant, ExternalID: &u.ID, Name: u.Name,
			Kana: u.Kana, Email: u.Email, Roles: []permission.Role{role}, Active: true})
		if err != nil {
			return nil, fmt.Errorf("sync user %s: %w", u.ID, err)
		}
		c.users[u.ID] = saved.ID
	}
	authz, err := permission.NewEngine(db)
	if err != nil {
		return nil, err
	}
	if c.customers, err = customer.NewService(db, &customer.Config{Authorizer: authz}); err != nil {
		return nil, err
	}
	templates, err := template.NewStoreRegistry(db, nil)
	if err != nil {
		return nil, err
	}
	if c.records, err = contactlog.NewService(db, &contactlog.Config{Authorizer: authz, Directory: c.dir, Templates: templates}); err != nil {
		return nil, err
	}
	c.api, err = api.New(&api.Options{Prefix: "/crm/api", DB: db, Customers: c.customers, Records: c.records,
		Authenticator: api.AuthenticatorFunc(c.principal)})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Handler serves the CRM routes under /crm/ for users the application
// authenticated, and the JSON API under /crm/api/.
func (c *CRM) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /crm/customers", func(w http.ResponseWriter, r *http.Request) {
		page, err := c.customers.Search(r.Context(), customer.Query{Text: r.URL.Query().Get("q")})
		reply(w, http.StatusOK, page, err)
	})
	mux.HandleFunc("POST /crm/customers", func(w http.ResponseWriter, r *http.Request) {
		var p customer.Profile
		if !decode(w, r, &p) {
			return
		}
		created, err := c.customers.Create(r.Context(), p)
		reply(w, http.StatusCreated, created, err)
	})
	mux.HandleFunc("GET /crm/customers/{id}/records", func(w http.ResponseWriter, r *http.Request) {
		id, err := uuid.Parse(r.PathValue("id"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		page, err := c.records.Search(r.Context(), contactlog.Query{Customer: id})
		reply(w, http.StatusOK, page, err)
	})
	mux.HandleFunc("POST /crm/customers/{id}/records", func(w http.ResponseWriter, r *http.Request) {
		id, err := uuid.Parse(r.PathValue("id"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		e := contactlog.Entry{Template: "builtin:interview"}
		if !decode(w, r, &e) {
			return
		}
		e.Customer = id
		rec, err := c.records.Create(r.Context(), e)
		reply(w, http.StatusCreated, rec, err)
	})
	all := http.NewServeMux()
	all.Handle("/crm/", c.authenticate(mux))
	all.Handle("/crm/api/", c.api) // asks c.principal itself, per request
	return all
}

// appLogin stands in for the application's own login: the header
// X-App-User names the logged-in application user (a session cookie, in
// real life).
func appLogin(r *http.Request) (string, bool) {
	u := r.Header.Get("X-App-User")
	return u, u != ""
}

// principal is the Kiroku principal of the application user logged in on
// r; it is the JSON API's Authenticator too.
func (c *CRM) principal(r *http.Request) (permission.Principal, error) {
	login, ok := appLogin(r)
	user, known := c.users[login]
	if !ok || !known {
		return permission.Principal{}, api.ErrUnauthenticated
	}
	return c.dir.Principal(r.Context(), tenant, user)
}

// authenticate puts the principal of the logged-in user into the request
// context of the application's own CRM handlers.
func (c *CRM) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := c.principal(r)
		if errors.Is(err, api.ErrUnauthenticated) {
			http.Error(w, "login required", http.StatusUnauthorized)
			return
		}
		if err != nil {
			reply(w, 0, nil, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(permission.WithPrincipal(r.Context(), p)))
	})
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		http.Error(w, "bad JSON: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

// reply writes v as JSON, or the HTTP status of an engine error.
func reply(w http.ResponseWriter, status int, v any, err error) {
	switch { // the engines share their sentinel errors (customer.ErrX == contactlog.ErrX)
	case err == nil:
	case errors.Is(err, customer.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, customer.ErrPermissionDenied):
		status = http.StatusForbidden
	case errors.Is(err, customer.ErrInvalid):
		status, v = http.StatusUnprocessableEntity, map[string]string{"error": err.Error()}
	default:
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if v == nil {
		http.Error(w, http.StatusText(status), status)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// openDB opens PostgreSQL when postgresURL is set, otherwise the SQLite file
// at sqlitePath, with the settings Kiroku expects:
//
//   - PostgreSQL through pgx's database/sql driver with
//     default_query_exec_mode=exec (bun interpolates values, so pgx's
//     statement cache would only churn) and bun's pgdialect;
//   - SQLite through modernc.org/sqlite (pure Go) with a busy timeout
//     (first, so that switching to WAL waits for other processes), WAL,
//     foreign keys on, and write transactions that take the write lock at
//     BEGIN (_txlock=immediate: no upgrade deadlocks), and bun's
//     sqlitedialect.
func openDB(ctx context.Context, postgresURL, sqlitePath string) (*bun.DB, error) {
	var db *bun.DB
	if postgresURL != "" {
		u, err := url.Parse(postgresURL)
		if err != nil {
			return nil, fmt.Errorf("postgres URL: %w", err)
		}
		q := u.Query()
		q.Set("default_query_exec_mode", "exec")
		u.RawQuery = q.Encode()
		sqldb, err := sql.Open("pgx", u.String())
		if err != nil {
			return nil, err
		}
		db = bun.NewDB(sqldb, pgdialect.New())
	} else {
		sqldb, err := sql.Open("sqlite", "file:"+sqlitePath+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"+
			"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate")
		if err != nil {
			return nil, err
		}
		db = bun.NewDB(sqldb, sqlitedialect.New())
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	pg := flag.String("postgres", os.Getenv("KIROKU_POSTGRES_URL"), "PostgreSQL DSN (default $KIROKU_POSTGRES_URL)")
	data := flag.String("data", "embed-data", "SQLite directory when -postgres is empty")
	flag.Parse()
	ctx := context.Background()
	if *pg == "" {
		if err := os.MkdirAll(*data, 0o750); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	db, err := openDB(ctx, *pg, filepath.Join(*data, "kiroku.db"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	crm, err := NewCRM(ctx, db)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	app := http.NewServeMux() // the existing application
	app.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "my app") })
	app.Handle("/crm/", crm.Handler())
	fmt.Println("listening on http://" + *addr)
	if err := http.ListenAndServe(*addr, app); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
