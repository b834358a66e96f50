package contactlog_test

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
)

// fixture is a migrated database with one tenant: an admin, a manager of
// group "営業1課" (members: staff, a, b), two more staff members (a, b), a
// partner, a customer each for staff and for the partner, and a second
// tenant with its own admin.
type fixture struct {
	db       *bun.DB
	dir      *permission.Directory
	svc      *contactlog.Service
	sys      *contactlog.System
	customer *customer.Service
	clock    *clocktest.Clock
	tenant   uuid.UUID
	group    uuid.UUID

	// Principals (contexts) and their user IDs.
	staff, manager, admin, a, b, partner, other      context.Context
	staffID, managerID, adminID, aID, bID, partnerID uuid.UUID

	// Customers: yamada (assigned to staff), partnerCo (assigned to the
	// partner).
	yamada, partnerCo *customer.Customer
}

// withDeps returns cfg completed with the engine's dependencies on db that
// it does not set: a directory, the usual template registry and the
// customer engine's trusted handle.
func withDeps(t testing.TB, db bun.IDB, cfg contactlog.Config) *contactlog.Config {
	t.Helper()
	var err error
	if cfg.Directory == nil {
		cfg.Directory, err = permission.NewDirectory(db, cfg.Clock)
		require.NoError(t, err)
	}
	if cfg.Templates == nil {
		cfg.Templates, err = template.NewStoreRegistry(db, &template.Config{Clock: cfg.Clock})
		require.NoError(t, err)
	}
	if cfg.Customers == nil {
		cfg.Customers, err = customer.NewSystem(db)
		require.NoError(t, err)
	}
	return &cfg
}

func setup(t *testing.T, db *bun.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, contactlog.Migrate(ctx, db))
	clock := clocktest.New(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), time.Millisecond)
	dir, err := permission.NewDirectory(db, clock.Now)
	require.NoError(t, err)
	engine, err := permission.NewEngine(db)
	require.NoError(t, err)
	cfg := withDeps(t, db, contactlog.Config{Clock: clock.Now, Authorizer: engine})
	svc, err := contactlog.NewService(db, cfg)
	require.NoError(t, err)
	sys, err := contactlog.NewSystem(db, cfg)
	require.NoError(t, err)
	csvc, err := customer.NewService(db, &customer.Config{Clock: clock.Now, Authorizer: engine})
	require.NoError(t, err)

	tenant, err := dir.CreateTenant(ctx, permission.Tenant{Name: "記録商事", CustomerVisibility: permission.VisibilityAll})
	require.NoError(t, err)
	mkUser := func(tenant uuid.UUID, name, email string, role permission.Role) uuid.UUID {
		u, err := dir.SaveUser(ctx, permission.User{Tenant: tenant, Name: name, Email: email, Roles: []permission.Role{role}, Active: true})
		require.NoError(t, err)
		return u.ID
	}
	f := &fixture{db: db, dir: dir, svc: svc, sys: sys, customer: csvc, clock: clock, tenant: tenant.ID}
	f.staffID = mkUser(tenant.ID, "担当 一郎", "ichiro@example.jp", permission.RoleStaff)
	f.managerID = mkUser(tenant.ID, "課長 花子", "hanako@example.jp", permission.RoleManager)
	f.adminID = mkUser(tenant.ID, "管理 太郎", "taro@example.jp", permission.RoleAdmin)
	f.aID = mkUser(tenant.ID, "営業 A", "a@example.jp", permission.RoleStaff)
	f.bID = mkUser(tenant.ID, "営業 B", "b@example.jp", permission.RoleStaff)
	f.partnerID = mkUser(tenant.ID, "代理店 C", "c@partner.example", permission.RolePartner)
	group, err := dir.CreateGroup(ctx, tenant.ID, "営業1課")
	require.NoError(t, err)
	f.group = group.ID
	require.NoError(t, dir.SetGroupMembers(ctx, tenant.ID, group.ID, []permission.Member{
		{User: f.managerID, Manager: true}, {User: f.staffID}, {User: f.aID}, {User: f.bID},
	}))
	other, err := dir.CreateTenant(ctx, permission.Tenant{Name: "他社"})
	require.NoError(t, err)
	otherAdmin := mkUser(other.ID, "他社 管理", "admin@other.example", permission.RoleAdmin)

	as := func(tenant, user uuid.UUID) context.Context {
		p, err := dir.Principal(ctx, tenant, user)
		require.NoError(t, err)
		return permission.WithPrincipal(ctx, p)
	}
	f.staff, f.manager, f.admin = as(tenant.ID, f.staffID), as(tenant.ID, f.managerID), as(tenant.ID, f.adminID)
	f.a, f.b, f.partner = as(tenant.ID, f.aID), as(tenant.ID, f.bID), as(tenant.ID, f.partnerID)
	f.other = as(other.ID, otherAdmin)

	f.yamada, err = csvc.Create(f.staff, customer.Profile{FamilyName: "山田", GivenName: "太郎", FamilyKana: "ヤマダ", GivenKana: "タロウ"})
	require.NoError(t, err)
	f.partnerCo, err = csvc.Create(f.admin, customer.Profile{
		Kind: customer.Company, CompanyName: "岡山商店", CompanyKana: "オカヤマショウテン", FamilyName: "岡山", FamilyKana: "オカヤマ",
		Assignees: []uuid.UUID{f.partnerID},
	})
	require.NoError(t, err)
	return f
}

// assigned switches the tenant to the "assigned" customer visibility
// mode and returns the context of a user under it.
func (f *fixture) assigned(t *testing.T) func(user uuid.UUID) context.Context {
	t.Helper()
	ctx := context.Background()
	tn, err := f.dir.Tenant(ctx, f.tenant)
	require.NoError(t, err)
	tn.CustomerVisibility = permission.VisibilityAssigned
	_, err = f.dir.UpdateTenant(ctx, *tn)
	require.NoError(t, err)
	return func(user uuid.UUID) context.Context {
		p, err := f.dir.Principal(ctx, f.tenant, user)
		require.NoError(t, err)
		return permission.WithPrincipal(ctx, p)
	}
}

// partnerEntry is entry without the private memo, which partners may not
// write.
func partnerEntry(cust uuid.UUID) contactlog.Entry {
	e := entry(cust)
	e.PrivateMemo = ""
	return e
}

// entry is a valid 面談記録 about the customer.
func entry(cust uuid.UUID) contactlog.Entry {
	return contactlog.Entry{
		Template: "builtin:interview", Customer: cust,
		Channel: "visit", Progress: "proposing",
		PublicMemo: "新商品のご案内をしました。", PrivateMemo: "決裁者は奥様。",
	}
}
