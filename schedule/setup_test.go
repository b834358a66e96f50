package schedule_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/clocktest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/schedule"
)

// fixture is a migrated database with one tenant (visibility "assigned"):
// an admin, staff members a and b in group 営業1課, staff member c outside
// it, customer yamada assigned to a and b, customer sato assigned to c,
// and a second tenant with its own admin. The clock starts on
// 2026-12-05 10:00 JST.
type fixture struct {
	db      *bun.DB
	svc     *schedule.Service
	records *contactlog.Service
	clock   *clocktest.Clock
	cfg     *schedule.Config

	tenant, group          uuid.UUID
	admin, a, b, c, other  context.Context
	adminID, aID, bID, cID uuid.UUID
	yamada, sato           *customer.Customer
}

func setup(t *testing.T, db *bun.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, schedule.Migrate(ctx, db))
	clock := clocktest.New(time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC), time.Millisecond)
	dir, err := permission.NewDirectory(db, clock.Now)
	require.NoError(t, err)
	engine, err := permission.NewEngine(db)
	require.NoError(t, err)
	csvc, err := customer.NewService(db, &customer.Config{Authorizer: engine, Clock: clock.Now})
	require.NoError(t, err)
	templates, err := template.NewStoreRegistry(db, nil)
	require.NoError(t, err)
	records, err := contactlog.NewService(db, &contactlog.Config{Directory: dir, Templates: templates, Authorizer: engine, Clock: clock.Now})
	require.NoError(t, err)
	cfg := &schedule.Config{Authorizer: engine, Directory: dir, Clock: clock.Now, Records: records, Customers: csvc,
		StatementCache: dbtest.StatementCache(t, db)}
	svc, err := schedule.NewService(db, cfg)
	require.NoError(t, err)

	tenant, err := dir.CreateTenant(ctx, permission.Tenant{Name: "記録商事", CustomerVisibility: permission.VisibilityAssigned})
	require.NoError(t, err)
	mk := func(tenant uuid.UUID, name, email string, role permission.Role) uuid.UUID {
		u, err := dir.SaveUser(ctx, permission.User{Tenant: tenant, Name: name, Email: email, Roles: []permission.Role{role}, Active: true})
		require.NoError(t, err)
		return u.ID
	}
	f := &fixture{db: db, svc: svc, records: records, clock: clock, cfg: cfg, tenant: tenant.ID}
	f.adminID = mk(tenant.ID, "管理 太郎", "taro@example.jp", permission.RoleAdmin)
	f.aID = mk(tenant.ID, "営業 A", "a@example.jp", permission.RoleStaff)
	f.bID = mk(tenant.ID, "営業 B", "b@example.jp", permission.RoleStaff)
	f.cID = mk(tenant.ID, "営業 C", "c@example.jp", permission.RoleStaff)
	g, err := dir.CreateGroup(ctx, tenant.ID, "営業1課")
	require.NoError(t, err)
	f.group = g.ID
	require.NoError(t, dir.SetGroupMembers(ctx, tenant.ID, g.ID, []permission.Member{{User: f.aID}, {User: f.bID}}))
	other, err := dir.CreateTenant(ctx, permission.Tenant{Name: "他社"})
	require.NoError(t, err)
	otherAdmin := mk(other.ID, "他社 管理", "admin@other.example", permission.RoleAdmin)
	as := func(tenant, user uuid.UUID) context.Context {
		p, err := dir.Principal(ctx, tenant, user)
		require.NoError(t, err)
		return permission.WithPrincipal(ctx, p)
	}
	f.admin, f.a, f.b, f.c = as(tenant.ID, f.adminID), as(tenant.ID, f.aID), as(tenant.ID, f.bID), as(tenant.ID, f.cID)
	f.other = as(other.ID, otherAdmin)
	f.yamada, err = csvc.Create(f.admin, customer.Profile{FamilyName: "山田", GivenName: "太郎", FamilyKana: "ヤマダ", GivenKana: "タロウ",
		Assignees: []uuid.UUID{f.aID, f.bID}})
	require.NoError(t, err)
	f.sato, err = csvc.Create(f.admin, customer.Profile{FamilyName: "佐藤", GivenName: "花子", FamilyKana: "サトウ", GivenKana: "ハナコ",
		Assignees: []uuid.UUID{f.cID}})
	require.NoError(t, err)
	return f
}

// postcard is the manual's alert: 季節ごと定期ハガキ from 2022-03-29,
// every 4 months, 4 times.
func postcard(cust uuid.UUID) schedule.AlertInput {
	return schedule.AlertInput{Customer: cust, Title: "季節ごと定期ハガキ", Start: d("2022-03-29"), Count: 4, Every: 4, Unit: schedule.Months}
}

func labels(os []schedule.Occurrence) []string {
	out := make([]string, len(os))
	for i := range os {
		out[i] = os[i].Due.String() + " " + os[i].Label()
	}
	return out
}

func jst(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Tokyo")
	require.NoError(t, err)
	return loc
}
