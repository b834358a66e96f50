package contactlog_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
)

// A program that embeds the engine runs a dispatcher over its handlers:
// the report-to mail of a record goes out once, as its recipient sees it.
func ExampleSystem_Handlers() {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "kiroku-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tmp)
	sqldb, err := sql.Open("sqlite", "file:"+filepath.Join(tmp, "kiroku.db")+
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		panic(err)
	}
	db := bun.NewDB(sqldb, sqlitedialect.New())
	defer db.Close()
	if err := contactlog.Migrate(ctx, db); err != nil {
		panic(err)
	}
	clock := func() time.Time { return time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC) }

	// The directory: a tenant and two staff members.
	dir, err := permission.NewDirectory(db, clock)
	if err != nil {
		panic(err)
	}
	tenant, err := dir.CreateTenant(ctx, permission.Tenant{Name: "記録商事"})
	if err != nil {
		panic(err)
	}
	taro, err := dir.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: "記録 太郎", Email: "taro@example.jp", Active: true})
	if err != nil {
		panic(err)
	}
	hanako, err := dir.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: "田中 花子", Email: "hanako@example.jp", Active: true})
	if err != nil {
		panic(err)
	}

	// The engines; this Mailer prints instead of sending (mail.NewSMTP
	// sends through a server).
	engine, err := permission.NewEngine(db)
	if err != nil {
		panic(err)
	}
	templates, err := template.NewStoreRegistry(db, &template.Config{Clock: clock})
	if err != nil {
		panic(err)
	}
	customerSystem, err := customer.NewSystem(db)
	if err != nil {
		panic(err)
	}
	cfg := &contactlog.Config{
		Authorizer: engine, Directory: dir, Templates: templates, Customers: customerSystem, Clock: clock,
		Mailer: mail.SenderFunc(func(_ context.Context, m mail.Message) error {
			fmt.Println("to:", m.To[0].Email)
			fmt.Println("subject:", m.Subject)
			return nil
		}),
	}
	// Request handlers get the Service; the dispatcher gets the System.
	records, err := contactlog.NewService(db, cfg)
	if err != nil {
		panic(err)
	}
	system, err := contactlog.NewSystem(db, cfg)
	if err != nil {
		panic(err)
	}
	customers, err := customer.NewService(db, &customer.Config{Authorizer: engine, Clock: clock})
	if err != nil {
		panic(err)
	}

	// Taro writes a record reported to Hanako.
	p, err := dir.Principal(ctx, tenant.ID, taro.ID)
	if err != nil {
		panic(err)
	}
	asTaro := permission.WithPrincipal(ctx, p)
	yamada, err := customers.Create(asTaro, customer.Profile{FamilyName: "山田", GivenName: "太郎", FamilyKana: "ヤマダ", GivenKana: "タロウ"})
	if err != nil {
		panic(err)
	}
	_, err = records.Create(asTaro, contactlog.Entry{
		Template: "builtin:interview", Customer: yamada.ID, PublicMemo: "新商品のご案内",
		ReportTo: []uuid.UUID{hanako.ID},
	})
	if err != nil {
		panic(err)
	}

	// Delivery. A server calls d.Run(ctx) instead, with the handler maps of
	// all its engines merged.
	d, err := outbox.NewDispatcher(db, system.Handlers(), &outbox.Config{Clock: clock})
	if err != nil {
		panic(err)
	}
	if _, err := d.RunOnce(ctx); err != nil {
		panic(err)
	}
	// Output:
	// to: hanako@example.jp
	// subject: 【報告】山田 太郎 様 面談記録 (2026/11/22)
}
