package api_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
)

// Mount the API under /crm/api/ of an application's mux, with an
// authenticator that trusts the application's own login (here a header).
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "kiroku-api-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	sqldb, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "kiroku.db")+
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		panic(err)
	}
	db := bun.NewDB(sqldb, sqlitedialect.New())
	defer db.Close()
	if err := api.Migrate(ctx, db); err != nil {
		panic(err)
	}

	// The application's tenant and user, in Kiroku's directory.
	directory, err := permission.NewDirectory(db, nil)
	if err != nil {
		panic(err)
	}
	tenant, err := directory.CreateTenant(ctx, permission.Tenant{Name: "山田商店"})
	if err != nil {
		panic(err)
	}
	user, err := directory.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: "佐藤 愛",
		Roles: []permission.Role{permission.RoleStaff}, Active: true})
	if err != nil {
		panic(err)
	}

	authz, err := permission.NewEngine(db)
	if err != nil {
		panic(err)
	}
	customers, err := customer.NewService(db, &customer.Config{Authorizer: authz})
	if err != nil {
		panic(err)
	}
	templates, err := template.NewStoreRegistry(db, nil)
	if err != nil {
		panic(err)
	}
	records, err := contactlog.NewService(db, &contactlog.Config{Directory: directory, Templates: templates, Authorizer: authz})
	if err != nil {
		panic(err)
	}
	srv, err := api.New(&api.Options{
		Prefix: "/crm/api", DB: db, Customers: customers, Records: records,
		Authenticator: api.AuthenticatorFunc(func(r *http.Request) (permission.Principal, error) {
			if r.Header.Get("X-App-User") != "sato" { // the application's session, in real life
				return permission.Principal{}, api.ErrUnauthenticated
			}
			return directory.Principal(r.Context(), tenant.ID, user.ID)
		}),
	})
	if err != nil {
		panic(err)
	}
	app := http.NewServeMux()
	app.Handle("/crm/api/", srv)

	call := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-App-User", "sato")
		w := httptest.NewRecorder()
		app.ServeHTTP(w, req)
		return w
	}
	w := call(http.MethodPost, "/crm/api/v1/customers",
		`{"family_name":"山田","given_name":"花子","family_kana":"やまだ","given_kana":"はなこ"}`)
	var created customer.Customer
	if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil {
		panic(err)
	}
	fmt.Println(w.Code, created.FamilyKana, w.Header().Get("ETag"))

	w = call(http.MethodPut, "/crm/api/v1/customers/"+created.ID.String(), `{"family_name":"山田"}`)
	var problem api.Problem
	if err := json.Unmarshal(w.Body.Bytes(), &problem); err != nil {
		panic(err)
	}
	fmt.Println(w.Code, problem.Type)
	fmt.Println(strings.Contains(string(srv.OpenAPI()), `"/crm/api/v1/customers/{id}"`))
	// Output:
	// 201 ヤマダ "1"
	// 428 urn:kiroku:problem:precondition-required
	// true
}
