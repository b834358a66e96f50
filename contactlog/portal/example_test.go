package portal_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite"

	"github.com/kirokuhq/kiroku/contactlog/portal"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
)

// A staff member invites a customer by QR code; the customer registers
// with the link and logs in; the link works once.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "portal-example")
	defer os.RemoveAll(dir)
	// The program opens the database; Kiroku imports no driver.
	sqldb, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "kiroku.db")+
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		panic(err)
	}
	db := bun.NewDB(sqldb, sqlitedialect.New())
	defer db.Close()
	if err := portal.Migrate(ctx, db); err != nil {
		panic(err)
	}
	directory, _ := permission.NewDirectory(db, nil)
	tenant, _ := directory.CreateTenant(ctx, permission.Tenant{Name: "記録商事"})
	staff, _ := directory.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: "担当 一郎", Roles: []permission.Role{permission.RoleStaff}, Active: true})
	p, _ := directory.Principal(ctx, tenant.ID, staff.ID)
	asStaff := permission.WithPrincipal(ctx, p)

	engine, _ := permission.NewEngine(db)
	customers, _ := customer.NewService(db, &customer.Config{Authorizer: engine})
	yamada, err := customers.Create(asStaff, customer.Profile{FamilyName: "山田", GivenName: "太郎", FamilyKana: "ヤマダ", GivenKana: "タロウ", Email: "taro@example.jp"})
	if err != nil {
		panic(err)
	}

	cfg := &portal.Config{Authorizer: engine, Directory: directory, BaseURL: "https://crm.example.jp/portal"}
	svc, _ := portal.NewService(db, cfg)
	sys, _ := portal.NewSystem(db, cfg)

	issued, err := svc.Invite(asStaff, yamada.ID, portal.ChannelQR)
	if err != nil {
		panic(err)
	}
	form, _ := sys.Invitation(ctx, issued.Token)
	fmt.Println(form.CustomerName, form.Email)

	_, _, err = sys.Register(ctx, issued.Token, portal.Registration{
		Email: form.Email, Password: "Kiroku2026yamada!", AcceptTerms: true, TermsVersion: form.Terms.Version,
	})
	fmt.Println("registered:", err == nil)
	_, sess, err := sys.Login(ctx, "taro@example.jp", "Kiroku2026yamada!")
	fmt.Println("logged in:", err == nil, sess.Principal.Kind)
	_, err = sys.Invitation(ctx, issued.Token)
	fmt.Println(err)
	// Output:
	// 山田 太郎 taro@example.jp
	// registered: true
	// logged in: true customer
	// portal: invitation: portal: invalid or expired link
}
