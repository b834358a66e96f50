package catalog_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite"

	"github.com/kirokuhq/kiroku/contactlog/catalog"
	"github.com/kirokuhq/kiroku/customer/permission"
)

// A ramen shop's menu registered from a CSV file, and the line a purchase
// writes: it keeps the price it was sold at.
func Example() {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "kiroku-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tmp)
	sqldb, err := sql.Open("sqlite", "file:"+filepath.Join(tmp, "kiroku.db")+"?_pragma=foreign_keys(1)")
	if err != nil {
		panic(err)
	}
	db := bun.NewDB(sqldb, sqlitedialect.New())
	defer db.Close()
	if err := catalog.Migrate(ctx, db); err != nil {
		panic(err)
	}
	svc, err := catalog.NewService(db, nil)
	if err != nil {
		panic(err)
	}
	admin := permission.WithPrincipal(ctx, permission.Principal{Tenant: uuid.New(), User: uuid.New(),
		Roles: []permission.Role{permission.RoleAdmin}})

	rep, err := svc.ImportCSV(admin, strings.NewReader("カテゴリー,税率,分類を使用,分類,商品・サービス名,価格(税抜)\n"+
		"ラーメン,10%,はい,醤油,醤油ラーメン,700\n"+
		"ラーメン,10%,はい,味噌,味噌ラーメン,750\n"+
		"餃子,8%,,,餃子(持ち帰り),350\n"))
	if err != nil {
		panic(err)
	}
	fmt.Println("categories:", rep.CategoriesCreated, "items:", rep.ItemsCreated)

	items, err := svc.Items(admin, uuid.Nil, false)
	if err != nil {
		panic(err)
	}
	for _, it := range items {
		line, err := svc.Line(admin, it.ID, 2)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s ×%g %d円 %d%%\n", line.Name, line.Quantity, line.UnitPrice, line.TaxRate)
	}
	// Output:
	// categories: 2 items: 3
	// 味噌ラーメン（味噌） ×2 750円 10%
	// 醤油ラーメン（醤油） ×2 700円 10%
	// 餃子(持ち帰り) ×2 350円 8%
}
