package schedule_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/schedule"
)

// The manual's alert: a seasonal postcard from 2022-03-29, every 4 months,
// 4 times; then a reminder of one due today, sent through the outbox.
func Example() {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "kiroku-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	sqldb, err := sql.Open("sqlite", "file:"+filepath.Join(tmp, "kiroku.db")+
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		log.Fatal(err)
	}
	db := bun.NewDB(sqldb, sqlitedialect.New())
	defer db.Close()
	if err := schedule.Migrate(ctx, db); err != nil {
		log.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC) } // 19:00 in Tokyo
	rules, err := permission.NewEngine(db)
	if err != nil {
		log.Fatal(err)
	}
	mailer := mail.SenderFunc(func(_ context.Context, m mail.Message) error {
		fmt.Println("mail to", m.To[0].Email+":", m.Subject)
		return nil
	})
	directory, err := permission.NewDirectory(db, now)
	if err != nil {
		log.Fatal(err)
	}
	cfg := &schedule.Config{Authorizer: rules, Directory: directory, Clock: now, Mailer: mailer}
	svc, err := schedule.NewService(db, cfg)
	if err != nil {
		log.Fatal(err)
	}
	customers, err := customer.NewService(db, &customer.Config{Authorizer: rules, Clock: now})
	if err != nil {
		log.Fatal(err)
	}
	tenant, err := directory.CreateTenant(ctx, permission.Tenant{Name: "記録商事"})
	if err != nil {
		log.Fatal(err)
	}
	staff, err := directory.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: "担当 一郎", Email: "ichiro@example.jp",
		Roles: []permission.Role{permission.RoleStaff}, Active: true})
	if err != nil {
		log.Fatal(err)
	}
	p, err := directory.Principal(ctx, tenant.ID, staff.ID)
	if err != nil {
		log.Fatal(err)
	}
	ctx = permission.WithPrincipal(ctx, p)
	c, err := customers.Create(ctx, customer.Profile{FamilyName: "山田", GivenName: "太郎", FamilyKana: "ヤマダ", GivenKana: "タロウ",
		Assignees: []uuid.UUID{staff.ID}})
	if err != nil {
		log.Fatal(err)
	}

	start, _ := schedule.ParseDate("2022-03-29")
	if _, err := svc.CreateAlert(ctx, schedule.AlertInput{
		Customer: c.ID, Title: "季節ごと定期ハガキ", Start: start, Count: 4, Every: 4, Unit: schedule.Months,
	}); err != nil {
		log.Fatal(err)
	}
	page, err := svc.Occurrences(ctx, schedule.OccurrenceQuery{Customer: c.ID})
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range page.Occurrences {
		fmt.Println(o.Due, o.Label())
	}

	today, _ := schedule.ParseDate("2026-12-05")
	if _, err := svc.CreateAlert(ctx, schedule.AlertInput{
		Customer: c.ID, Title: "ご機嫌伺い", Start: today, Count: 1, Every: 1, Unit: schedule.Days,
	}); err != nil {
		log.Fatal(err)
	}
	// Wiring code: the trusted handle scans for due reminders and the
	// dispatcher delivers them.
	sys, err := schedule.NewSystem(db, cfg)
	if err != nil {
		log.Fatal(err)
	}
	n, err := sys.EnqueueDueReminders(context.Background(), now())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("reminded:", n)
	d, err := outbox.NewDispatcher(db, sys.Handlers(), &outbox.Config{Clock: now})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := d.RunOnce(context.Background()); err != nil {
		log.Fatal(err)
	}
	// Output:
	// 2022-03-29 季節ごと定期ハガキ(1/4)
	// 2022-07-29 季節ごと定期ハガキ(2/4)
	// 2022-11-29 季節ごと定期ハガキ(3/4)
	// 2023-03-29 季節ごと定期ハガキ(4/4)
	// reminded: 1
	// mail to ichiro@example.jp: 【アラート】ご機嫌伺い(1/1) 山田 太郎 様 (2026/12/05)
}
