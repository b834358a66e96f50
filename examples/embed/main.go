// Embed is the smallest program that mounts Kiroku into an existing
// net/http application: the application keeps its own users and its own
// login, and uses Kiroku's customer and contact-record engines from its own
// handlers.
//
//	go run ./examples/embed -postgres 'postgres://user@localhost/app?sslmode=disable'
//	go run ./examples/embed                 # SQLite in ./embed-data instead
//
//	curl -H 'X-App-User: alice' localhost:8081/crm/customers
//	curl -H 'X-App-User: alice' -d '{"family_name":"山田","family_kana":"ヤマダ"}' localhost:8081/crm/customers
//	curl -H 'X-App-User: bob' -d '{"public_memo":"電話で見積依頼"}' localhost:8081/crm/customers/ID/records
//	curl -H 'X-App-User: bob' localhost:8081/crm/customers/ID/records
//
// The wiring, in the order a real application needs it:
//
//  1. Open the database (the application's own PostgreSQL; Kiroku's tables
//     live beside its own) and run contactlog.Migrate, which also migrates
//     the permission directory and the customer engine.
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
//
// Engine errors map to HTTP statuses with errors.Is (ErrNotFound → 404,
// ErrPermissionDenied → 403, validation errors → 422).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbopen"
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
	users     map[string]uuid.UUID // application user ID → Kiroku user
}

// NewCRM migrates db, syncs the application's users and builds the engines.
func NewCRM(ctx context.Context, db *bun.DB) (*CRM, error) {
	if err := contactlog.Migrate(ctx, db); err != nil {
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
	if c.records, err = contactlog.NewService(db, &contactlog.Config{Authorizer: authz}); err != nil {
		return nil, err
	}
	return c, nil
}

// Handler serves the CRM routes under /crm/ for users the application
// authenticated.
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
	return c.authenticate(mux)
}

// authenticate stands in for the application's own login: the header
// X-App-User names the logged-in application user. It puts that user's
// Kiroku principal into the request context.
func (c *CRM) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, ok := c.users[r.Header.Get("X-App-User")]
		if !ok {
			http.Error(w, "login required", http.StatusUnauthorized)
			return
		}
		p, err := c.dir.Principal(r.Context(), tenant, user)
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
	db, err := dbopen.Open(ctx, *pg, filepath.Join(*data, "kiroku.db"))
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
