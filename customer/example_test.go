package customer_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/date"
	"github.com/kirokuhq/kiroku/customer/permission"
)

func Example() {
	dir, err := os.MkdirTemp("", "kiroku-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// The embedding program opens the database; Kiroku imports no driver.
	dsn := "file:" + filepath.Join(dir, "kiroku.db") +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		log.Fatal(err)
	}
	db := bun.NewDB(sqldb, sqlitedialect.New())
	defer db.Close()

	ctx := context.Background()
	if err := customer.Migrate(ctx, db); err != nil {
		log.Fatal(err)
	}
	// The rule set decides what each principal sees (in SQL) and may do.
	rules, err := permission.NewEngine(db)
	if err != nil {
		log.Fatal(err)
	}
	svc, err := customer.NewService(db, &customer.Config{Authorizer: rules})
	if err != nil {
		log.Fatal(err)
	}
	// The tenant and its staff live in the directory (an application syncs
	// its own users with SaveUser); the principal is built from it.
	directory, err := permission.NewDirectory(db, nil)
	if err != nil {
		log.Fatal(err)
	}
	tenant, err := directory.CreateTenant(ctx, permission.Tenant{Name: "記録商事"})
	if err != nil {
		log.Fatal(err)
	}
	staff, err := directory.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: "担当 一郎",
		Roles: []permission.Role{permission.RoleStaff}, Active: true})
	if err != nil {
		log.Fatal(err)
	}
	p, err := directory.Principal(ctx, tenant.ID, staff.ID)
	if err != nil {
		log.Fatal(err)
	}
	ctx = permission.WithPrincipal(ctx, p)

	born, _ := date.Parse("S47.3.15")
	c, err := svc.Create(ctx, customer.Profile{
		FamilyName: "山田", GivenName: "太郎", FamilyKana: "やまだ", GivenKana: "ﾀﾛｳ",
		Mobile: "090-1234-5678", Birthday: &born,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.DisplayName(), c.FamilyKana, c.GivenKana, c.Birthday.Era())

	// A CSV from Excel: header aliases, an era birthday, and one bad row.
	csv := "氏名(姓),名,姓カナ,名カナ,生年月日\n田中,花子,たなか,はなこ,H2.5.1\n鈴木,一郎,スズキ,イチロウ,平成1年1月7日\n"
	rep, err := svc.Import(ctx, strings.NewReader(csv), customer.ImportOptions{Mode: customer.ValidRows})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created", rep.Created, "errors", len(rep.Errors))
	for _, e := range rep.Errors {
		fmt.Printf("line %d %s: %s\n", e.Line, e.Column, e.Code)
	}

	// Hiragana finds katakana readings; digits find a hyphenated mobile.
	for _, q := range []string{"たなか", "09012345678"} {
		page, err := svc.Search(ctx, customer.Query{Text: q})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(q, "→", page.Customers[0].DisplayName())
	}
	// Output:
	// 山田 太郎 ヤマダ タロウ 昭和47年3月15日
	// created 1 errors 1
	// line 3 生年月日: outside_era
	// たなか → 田中 花子
	// 09012345678 → 山田 太郎
}
