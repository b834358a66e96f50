package plugins_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/plugins"
	"github.com/kirokuhq/kiroku/plugins/careservice"
)

// A host runs the care-service plugin for the tenant that installed it:
// its records are computed by the plugin, and another tenant's record of
// the plugin's template is refused without reaching the plugin.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "kiroku-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// The plugin's binary, as a vendor ships it.
	bin := filepath.Join(dir, plugins.FilePrefix+careservice.Name)
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/kirokuhq/kiroku/plugins/careservice/cmd/kiroku-plugin-careservice").CombinedOutput(); err != nil {
		log.Fatalf("%v: %s", err, out)
	}

	sqldb, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "kiroku.db")+
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		log.Fatal(err)
	}
	db := bun.NewDB(sqldb, sqlitedialect.New())
	defer db.Close()
	if err := plugins.Migrate(ctx, db); err != nil {
		log.Fatal(err)
	}

	// The engines and the host.
	store, err := template.NewStore(db, nil)
	if err != nil {
		log.Fatal(err)
	}
	reg := template.NewRegistry(store)
	host, err := plugins.New(&plugins.Config{Dir: dir, Templates: reg, DB: db})
	if err != nil {
		log.Fatal(err)
	}
	if err := host.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer host.Close()
	authz, err := permission.NewEngine(db)
	if err != nil {
		log.Fatal(err)
	}
	customers, err := customer.NewService(db, &customer.Config{Authorizer: authz})
	if err != nil {
		log.Fatal(err)
	}
	directory, err := permission.NewDirectory(db, nil)
	if err != nil {
		log.Fatal(err)
	}
	records, err := contactlog.NewService(db, &contactlog.Config{Authorizer: authz, Directory: directory, Templates: reg, Plugins: host})
	if err != nil {
		log.Fatal(err)
	}

	// Two tenants, each with an administrator; ひまわり installs the plugin.
	admin := func(name string) context.Context {
		t, err := directory.CreateTenant(ctx, permission.Tenant{Name: name})
		if err != nil {
			log.Fatal(err)
		}
		u, err := directory.SaveUser(ctx, permission.User{Tenant: t.ID, Name: "管理 花子", Email: "admin@example.jp",
			Roles: []permission.Role{permission.RoleAdmin}, Active: true})
		if err != nil {
			log.Fatal(err)
		}
		p, err := directory.Principal(ctx, t.ID, u.ID)
		if err != nil {
			log.Fatal(err)
		}
		return permission.WithPrincipal(ctx, p)
	}
	himawari, sakura := admin("訪問介護ひまわり"), admin("さくら商店")
	if err := host.Install(himawari, records, customers, careservice.Name); err != nil {
		log.Fatal(err)
	}
	for _, as := range []context.Context{himawari, sakura} {
		installed, err := host.Installed(as)
		fmt.Println("installed:", installed, err)
	}

	start := time.Date(2026, 11, 2, 10, 0, 0, 0, time.FixedZone("JST", 9*60*60))
	visit := contactlog.Entry{Template: careservice.TemplateVisit, ActualAt: start, Values: map[string]any{
		"service_type": careservice.PhysicalCare,
		"start":        start.Format(time.RFC3339), "end": start.Add(90 * time.Minute).Format(time.RFC3339),
	}}
	r, err := records.Create(himawari, visit)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("ひまわり: units", r.Values["units"])

	_, err = records.Create(sakura, visit)
	var ve *contactlog.ValidationError
	if errors.As(err, &ve) {
		fmt.Println("さくら商店:", ve.Fields)
	}
	// Output:
	// installed: [careservice] <nil>
	// installed: [] <nil>
	// ひまわり: units 650
	// さくら商店: [{template not_allowed careservice}]
}
