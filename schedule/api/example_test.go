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
	capi "github.com/kirokuhq/kiroku/contactlog/api"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/schedule"
	"github.com/kirokuhq/kiroku/schedule/api"
)

// Serve the schedule routes beside the customer and record routes, and
// put an appointment on the calendar.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "kiroku-schedule-api-example")
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
	for _, migrate := range []func(context.Context, *bun.DB) error{capi.Migrate, schedule.Migrate} {
		if err := migrate(ctx, db); err != nil {
			panic(err)
		}
	}
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
	sched, err := schedule.NewService(db, &schedule.Config{Authorizer: authz, Directory: directory, Records: records, Customers: customers})
	if err != nil {
		panic(err)
	}
	srv, err := capi.New(&capi.Options{
		Prefix: "/crm/api", DB: db, Customers: customers, Records: records, Extra: api.Routes(sched),
		Authenticator: capi.AuthenticatorFunc(func(r *http.Request) (permission.Principal, error) {
			return directory.Principal(r.Context(), tenant.ID, user.ID) // the application's session, in real life
		}),
	})
	if err != nil {
		panic(err)
	}
	call := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		return w
	}
	w := call(http.MethodPost, "/crm/api/v1/appointments",
		`{"title":"定期訪問","start":"2026-09-22T01:00:00Z","end":"2026-09-22T02:00:00Z","direct":"both"}`)
	fmt.Println(w.Code, w.Header().Get("ETag"))

	w = call(http.MethodGet, "/crm/api/v1/calendar?from=2026-09-20&to=2026-09-26", "")
	var cal schedule.Calendar
	if err := json.Unmarshal(w.Body.Bytes(), &cal); err != nil {
		panic(err)
	}
	for _, e := range cal.Entries {
		fmt.Println(e.Kind, e.Title, e.Direct)
	}
	for _, h := range cal.Holidays {
		fmt.Println(h.Date, h.Name)
	}
	// Output:
	// 201 "1"
	// appointment 定期訪問 both
	// 2026-09-21 敬老の日
	// 2026-09-22 国民の休日
	// 2026-09-23 秋分の日
}
