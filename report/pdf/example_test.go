package pdf_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/report/pdf"
	"github.com/kirokuhq/kiroku/report/pdf/font/bizud"
)

// A staff member downloads a customer's history with a cover page and a
// password; the customer's own portal account gets the shared records only.
func Example() {
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

	dir, _ := permission.NewDirectory(db, nil)
	rules, _ := permission.NewEngine(db)
	templates, _ := template.NewStoreRegistry(db, nil)
	records, _ := contactlog.NewService(db, &contactlog.Config{Authorizer: rules, Directory: dir, Templates: templates})
	customers, _ := customer.NewService(db, &customer.Config{Authorizer: rules})
	exporter, err := pdf.NewExporter(db, &pdf.Config{Records: records, Customers: customers, Directory: dir, Font: bizud.Regular()})
	if err != nil {
		panic(err)
	}

	tenant, _ := dir.CreateTenant(ctx, permission.Tenant{Name: "記録商事"})
	user, _ := dir.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: "記録 太郎", Active: true})
	p, _ := dir.Principal(ctx, tenant.ID, user.ID)
	staff := permission.WithPrincipal(ctx, p)
	c, err := customers.Create(staff, customer.Profile{FamilyName: "山田", GivenName: "花子", FamilyKana: "ヤマダ", GivenKana: "ハナコ"})
	if err != nil {
		panic(err)
	}
	for i, shared := range []bool{true, false} {
		_, err := records.Create(staff, contactlog.Entry{Template: "builtin:interview", Customer: c.ID, Shared: shared,
			ActualAt:   time.Now().Add(time.Duration(i-2) * time.Hour),
			PublicMemo: "カタログをお渡ししました。", PrivateMemo: "決裁者は奥様。"})
		if err != nil {
			panic(err)
		}
	}

	var staffPDF bytes.Buffer
	err = exporter.Customer(staff, &staffPDF, c.ID, pdf.Options{Cover: true, Password: "1234", IncludePrivateMemo: true})
	fmt.Println(err, bytes.HasPrefix(staffPDF.Bytes(), []byte("%PDF-")))

	// The portal: a customer principal never gets a private memo.
	portal := permission.WithPrincipal(ctx, permission.Principal{Tenant: tenant.ID, User: c.ID, Kind: permission.Customer, Customer: c.ID})
	var portalPDF bytes.Buffer
	err = exporter.Customer(portal, &portalPDF, c.ID, pdf.Options{IncludePrivateMemo: true})
	var v *validation.Error
	fmt.Println(errors.As(err, &v), v.Fields[0].Field, v.Fields[0].Code)
	err = exporter.Customer(portal, &portalPDF, c.ID, pdf.Options{})
	fmt.Println(err, portalPDF.Len() > 0)

	entries, _ := permission.AuditLog(permission.WithPrincipal(ctx, permission.Principal{Tenant: tenant.ID, User: user.ID,
		Roles: []permission.Role{permission.RoleAdmin}}), db, permission.AuditQuery{ObjectType: "customer", Actor: user.ID})
	for _, e := range entries {
		if e.Action == pdf.AuditAction {
			fmt.Println(e.Detail)
		}
	}
	// Output:
	// <nil> true
	// true include_private_memo not_allowed
	// <nil> true
	// records=2 cover=true private_memo=true password=true
}
