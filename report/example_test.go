package report_test

import (
	"context"
	"database/sql"
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
	"github.com/kirokuhq/kiroku/report"
)

// Monthly working time from daily reports (日報), in the tenant's time zone:
// sum(.work_minutes) is computed by the database, sum(.work_minutes) / 60
// by expr.
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
	clock := func() time.Time { return time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC) }
	dir, err := permission.NewDirectory(db, clock)
	if err != nil {
		panic(err)
	}
	tenant, err := dir.CreateTenant(ctx, permission.Tenant{Name: "記録商事"}) // Asia/Tokyo
	if err != nil {
		panic(err)
	}
	taro, err := dir.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: "記録 太郎", Email: "taro@example.jp", Active: true})
	if err != nil {
		panic(err)
	}
	p, err := dir.Principal(ctx, tenant.ID, taro.ID)
	if err != nil {
		panic(err)
	}
	ctx = permission.WithPrincipal(ctx, p)
	engine, err := permission.NewEngine(db)
	if err != nil {
		panic(err)
	}
	templates, err := template.NewStoreRegistry(db, nil)
	if err != nil {
		panic(err)
	}
	records, err := contactlog.NewService(db, &contactlog.Config{Directory: dir, Templates: templates, Authorizer: engine, Clock: clock})
	if err != nil {
		panic(err)
	}
	customers, err := customer.NewService(db, &customer.Config{Authorizer: engine, Clock: clock})
	if err != nil {
		panic(err)
	}
	reports, err := report.NewService(db, &report.Config{Records: records, Authorizer: engine, Clock: clock})
	if err != nil {
		panic(err)
	}

	c, err := customers.Create(ctx, customer.Profile{FamilyName: "山田", FamilyKana: "ヤマダ"})
	if err != nil {
		panic(err)
	}
	for _, d := range []struct {
		at      time.Time
		minutes int
	}{
		{time.Date(2026, 3, 31, 14, 0, 0, 0, time.UTC), 90},  // 3/31 23:00 in Tokyo
		{time.Date(2026, 3, 31, 16, 0, 0, 0, time.UTC), 120}, // 4/1 01:00 in Tokyo
		{time.Date(2026, 4, 10, 2, 0, 0, 0, time.UTC), 150},
	} {
		_, err := records.Create(ctx, contactlog.Entry{Template: template.KeyDaily, Customer: c.ID, ActualAt: d.at,
			Values: map[string]any{"work_minutes": d.minutes, "work_done": "訪問"}})
		if err != nil {
			panic(err)
		}
	}

	tokyo := p.Location
	res, err := reports.Aggregate(ctx, report.Query{
		Template: template.KeyDaily, Aggregations: []string{"work_minutes", "work_hours"},
		GroupBy: report.ByMonth,
		From:    time.Date(2026, 3, 1, 0, 0, 0, 0, tokyo), To: time.Date(2026, 5, 1, 0, 0, 0, 0, tokyo),
	})
	if err != nil {
		panic(err)
	}
	labels := res.Labels()
	for i, g := range res.Groups {
		fmt.Printf("%s: %d件 %s分 %s時間\n", labels[i], g.Count, g.Values[0], g.Values[1])
	}
	// Output:
	// 2026年3月: 1件 90分 1.5時間
	// 2026年4月: 2件 270分 4.5時間
}
