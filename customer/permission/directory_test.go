package permission_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

func newDirectory(t *testing.T, db *bun.DB) *permission.Directory {
	t.Helper()
	require.NoError(t, permission.Migrate(context.Background(), db))
	clock := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	dir, err := permission.NewDirectory(db, func() time.Time { clock = clock.Add(time.Second); return clock })
	require.NoError(t, err)
	return dir
}

func TestTenants(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		dir := newDirectory(t, db)
		_, err := dir.CreateTenant(ctx, permission.Tenant{Name: " ", TimeZone: "Mars/Olympus", CustomerVisibility: "some"})
		require.ErrorIs(t, err, permission.ErrInvalid)
		tn, err := dir.CreateTenant(ctx, permission.Tenant{Name: "記録商事"})
		require.NoError(t, err)
		require.Equal(t, "Asia/Tokyo", tn.TimeZone)
		require.Equal(t, permission.VisibilityAll, tn.CustomerVisibility)

		tn.CustomerVisibility = permission.VisibilityAssigned
		up, err := dir.UpdateTenant(ctx, *tn)
		require.NoError(t, err)
		require.Equal(t, int64(2), up.Version)
		_, err = dir.UpdateTenant(ctx, *tn) // stale version
		require.ErrorIs(t, err, permission.ErrConflict)
		got, err := dir.Tenant(ctx, tn.ID)
		require.NoError(t, err)
		require.Equal(t, permission.VisibilityAssigned, got.CustomerVisibility)
		_, err = dir.UpdateTenant(ctx, permission.Tenant{ID: uuid.New(), Name: "x", TimeZone: "UTC", CustomerVisibility: "all", Version: 1})
		require.ErrorIs(t, err, permission.ErrNotFound)

		second, err := dir.CreateTenant(ctx, permission.Tenant{Name: "他社"})
		require.NoError(t, err)
		ids, err := dir.TenantIDs(ctx)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{tn.ID, second.ID}, ids)
	})
}

func TestUsersAndPrincipal(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		dir := newDirectory(t, db)
		tn, err := dir.CreateTenant(ctx, permission.Tenant{Name: "記録商事", CustomerVisibility: permission.VisibilityAssigned})
		require.NoError(t, err)
		ext := "emp-001"
		u, err := dir.SaveUser(ctx, permission.User{Tenant: tn.ID, ExternalID: &ext, Name: "山田 太郎", Active: true})
		require.NoError(t, err)
		require.Equal(t, []permission.Role{permission.RoleStaff}, u.Roles)
		// Syncing again by external ID updates the same user.
		again, err := dir.SaveUser(ctx, permission.User{Tenant: tn.ID, ExternalID: &ext, Name: "山田 太郎",
			Roles: []permission.Role{permission.RoleManager, permission.RoleManager}, Active: true})
		require.NoError(t, err)
		require.Equal(t, u.ID, again.ID)
		require.Equal(t, []permission.Role{permission.RoleManager}, again.Roles)
		_, err = dir.SaveUser(ctx, permission.User{Tenant: tn.ID, Name: "", Roles: []permission.Role{"boss"}})
		require.ErrorIs(t, err, permission.ErrInvalid)

		company, err := dir.CreateOrgUnit(ctx, permission.OrgUnit{Tenant: tn.ID, Kind: permission.UnitCompany, Name: "本社"})
		require.NoError(t, err)
		branch, err := dir.CreateOrgUnit(ctx, permission.OrgUnit{Tenant: tn.ID, Kind: permission.UnitBranch, Name: "大阪支店", Parent: &company.ID})
		require.NoError(t, err)
		g1, err := dir.CreateGroup(ctx, tn.ID, "営業1課")
		require.NoError(t, err)
		g2, err := dir.CreateGroup(ctx, tn.ID, "営業2課")
		require.NoError(t, err)
		_, err = dir.CreateGroup(ctx, tn.ID, "営業1課")
		require.ErrorIs(t, err, permission.ErrConflict)
		require.NoError(t, dir.SetUserOrgUnits(ctx, tn.ID, u.ID, []uuid.UUID{branch.ID}))
		require.NoError(t, dir.SetGroupMembers(ctx, tn.ID, g1.ID, []permission.Member{{User: u.ID, Manager: true}}))
		require.NoError(t, dir.SetGroupMembers(ctx, tn.ID, g2.ID, []permission.Member{{User: u.ID}}))

		p, err := dir.Principal(ctx, tn.ID, u.ID)
		require.NoError(t, err)
		require.Equal(t, permission.Principal{
			Tenant: tn.ID, User: u.ID, Kind: permission.Staff, Roles: []permission.Role{permission.RoleManager},
			OrgUnits: []uuid.UUID{branch.ID}, Groups: sorted(g1.ID, g2.ID), ManagedGroups: []uuid.UUID{g1.ID},
			CustomerVisibility: permission.VisibilityAssigned, Location: p.Location,
		}, p)
		require.Equal(t, "Asia/Tokyo", p.Location.String())
		groups, err := dir.Groups(ctx, tn.ID)
		require.NoError(t, err)
		require.Len(t, groups, 2)
		require.Equal(t, []permission.Member{{User: u.ID, Manager: true}}, groups[0].Members)

		// Another tenant's user cannot join; an inactive user gets no principal.
		other, err := dir.CreateTenant(ctx, permission.Tenant{Name: "他社"})
		require.NoError(t, err)
		stranger, err := dir.SaveUser(ctx, permission.User{Tenant: other.ID, Name: "他社 社員", Active: true})
		require.NoError(t, err)
		require.ErrorIs(t, dir.SetGroupMembers(ctx, tn.ID, g1.ID, []permission.Member{{User: stranger.ID}}), permission.ErrNotFound)
		require.ErrorIs(t, dir.SetUserOrgUnits(ctx, other.ID, stranger.ID, []uuid.UUID{branch.ID}), permission.ErrNotFound)
		_, err = dir.Principal(ctx, tn.ID, stranger.ID)
		require.ErrorIs(t, err, permission.ErrUnauthenticated)
		again.Active = false
		_, err = dir.SaveUser(ctx, *again)
		require.NoError(t, err)
		_, err = dir.Principal(ctx, tn.ID, u.ID)
		require.ErrorIs(t, err, permission.ErrUnauthenticated)
	})
}

func sorted(ids ...uuid.UUID) []uuid.UUID {
	out := append([]uuid.UUID(nil), ids...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].String() < out[i].String() {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestOrgTree(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		dir := newDirectory(t, db)
		engine, err := permission.NewEngine(db)
		require.NoError(t, err)
		tn, err := dir.CreateTenant(ctx, permission.Tenant{Name: "記録商事"})
		require.NoError(t, err)
		unit := func(kind permission.OrgUnitKind, name string, parent *permission.OrgUnit) *permission.OrgUnit {
			u := permission.OrgUnit{Tenant: tn.ID, Kind: kind, Name: name}
			if parent != nil {
				u.Parent = &parent.ID
			}
			got, err := dir.CreateOrgUnit(ctx, u)
			require.NoError(t, err)
			return got
		}
		company := unit(permission.UnitCompany, "本社", nil)
		_, err = dir.CreateOrgUnit(ctx, permission.OrgUnit{Tenant: tn.ID, Kind: permission.UnitCompany, Name: "第二本社"})
		require.ErrorIs(t, err, permission.ErrConflict)
		_, err = dir.CreateOrgUnit(ctx, permission.OrgUnit{Tenant: tn.ID, Kind: permission.UnitBranch, Name: "孤児"})
		require.ErrorIs(t, err, permission.ErrInvalid)
		tokyo := unit(permission.UnitBranch, "東京支店", company)
		osaka := unit(permission.UnitBranch, "大阪支店", company)
		sales := unit(permission.UnitDepartment, "営業部", tokyo)
		team := unit(permission.UnitDepartment, "営業一課", sales)

		units, err := dir.OrgUnits(ctx, tn.ID)
		require.NoError(t, err)
		require.Len(t, units, 5)
		require.Equal(t, company.ID, units[0].ID) // parents before children
		require.Equal(t, team.ID, units[4].ID)

		// A member of 営業一課 is inside 東京支店's subtree, not 大阪支店's.
		author := uuid.New()
		member := permission.Principal{Tenant: tn.ID, User: uuid.New(), OrgUnits: []uuid.UUID{team.ID}}
		sees := func(scope uuid.UUID) bool {
			err := engine.Check(ctx, member, permission.ActionView, &permission.RecordObject{
				Tenant: tn.ID, ID: uuid.New(), Author: author,
				Scope: permission.Scope{Kind: permission.ScopeOrgUnits, Targets: []uuid.UUID{scope}},
			})
			if err != nil {
				require.ErrorIs(t, err, permission.ErrNotFound)
			}
			return err == nil
		}
		require.True(t, sees(tokyo.ID))
		require.True(t, sees(company.ID))
		require.False(t, sees(osaka.ID))

		// Moving 営業部 (with 営業一課) under 大阪支店 moves the subtree.
		require.NoError(t, dir.MoveOrgUnit(ctx, tn.ID, sales.ID, osaka.ID))
		require.False(t, sees(tokyo.ID))
		require.True(t, sees(osaka.ID))
		require.True(t, sees(company.ID))
		// No cycles, no moving the company, no deleting a unit with children.
		require.ErrorIs(t, dir.MoveOrgUnit(ctx, tn.ID, sales.ID, team.ID), permission.ErrInvalid)
		require.ErrorIs(t, dir.MoveOrgUnit(ctx, tn.ID, company.ID, osaka.ID), permission.ErrInvalid)
		require.ErrorIs(t, dir.DeleteOrgUnit(ctx, tn.ID, sales.ID), permission.ErrConflict)
		require.NoError(t, dir.DeleteOrgUnit(ctx, tn.ID, team.ID))
		require.ErrorIs(t, dir.DeleteOrgUnit(ctx, tn.ID, team.ID), permission.ErrNotFound)
		require.NoError(t, dir.RenameOrgUnit(ctx, tn.ID, sales.ID, "営業本部"))
		require.ErrorIs(t, dir.RenameOrgUnit(ctx, uuid.New(), sales.ID, "x"), permission.ErrNotFound)
	})
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		// As the application's own role: on PostgreSQL the append-only rule
		// is a privilege, which a superuser would bypass.
		db = dbtest.AppRole(t, db)
		require.NoError(t, permission.Migrate(ctx, db))
		tenant := uuid.New()
		admin := permission.Principal{Tenant: tenant, User: uuid.New(), Roles: []permission.Role{permission.RoleAdmin}}
		staff := permission.Principal{Tenant: tenant, User: uuid.New()}
		obj := uuid.New()
		base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		for i := range 5 {
			require.NoError(t, permission.Audit(ctx, db, staff, base.Add(time.Duration(i)*time.Hour), "view", "customer", obj, ""))
		}
		require.NoError(t, permission.Audit(ctx, db, admin, base.Add(10*time.Hour), "export", "customer", uuid.Nil, "rows=3"))
		require.NoError(t, permission.Audit(ctx, db, permission.Principal{Tenant: uuid.New(), User: uuid.New()}, base, "view", "customer", obj, ""))

		_, err := permission.AuditLog(permission.WithPrincipal(ctx, staff), db, permission.AuditQuery{})
		require.ErrorIs(t, err, permission.ErrPermissionDenied)
		actx := permission.WithPrincipal(ctx, admin)
		all, err := permission.AuditLog(actx, db, permission.AuditQuery{})
		require.NoError(t, err)
		require.Len(t, all, 6) // not the other tenant's entry
		require.Equal(t, "export", all[0].Action)
		byObj, err := permission.AuditLog(actx, db, permission.AuditQuery{ObjectType: "customer", Object: obj, Actor: staff.User,
			From: base.Add(time.Hour), To: base.Add(4 * time.Hour)})
		require.NoError(t, err)
		require.Len(t, byObj, 3)
		page1, err := permission.AuditLog(actx, db, permission.AuditQuery{Limit: 4})
		require.NoError(t, err)
		page2, err := permission.AuditLog(actx, db, permission.AuditQuery{Limit: 4, Before: &page1[3]})
		require.NoError(t, err)
		require.Equal(t, all[4:], page2)
		// Entries of one instant are ordered by ID: the cursor passes
		// between them.
		for range 3 {
			require.NoError(t, permission.Audit(ctx, db, staff, base.Add(20*time.Hour), "view", "customer", obj, ""))
		}
		same, err := permission.AuditLog(actx, db, permission.AuditQuery{To: base.Add(21 * time.Hour), From: base.Add(20 * time.Hour)})
		require.NoError(t, err)
		require.Len(t, same, 3)
		rest, err := permission.AuditLog(actx, db, permission.AuditQuery{Before: &same[0], From: base.Add(20 * time.Hour)})
		require.NoError(t, err)
		require.Equal(t, same[1:], rest)
		_, err = permission.AuditLog(actx, db, permission.AuditQuery{Before: &permission.AuditEntry{ID: same[0].ID}})
		var v *validation.Error
		require.ErrorAs(t, err, &v)
		require.Equal(t, "before", v.Fields[0].Field)

		// Append-only: the database refuses changes.
		_, err = db.NewUpdate().TableExpr("audit_log").Set("action = 'x'").Where("1 = 1").Exec(ctx)
		require.Error(t, err)
		_, err = db.NewDelete().TableExpr("audit_log").Where("1 = 1").Exec(ctx)
		require.Error(t, err)
		all, err = permission.AuditLog(actx, db, permission.AuditQuery{})
		require.NoError(t, err)
		require.Len(t, all, 9)
		require.Equal(t, same, all[:3])
	})
}

// The audit log's queries on SQLite read the table's key (tenant_id, at,
// id) newest first, without statistics (the engines run no ANALYZE): the
// listing, its cursor and its period are ranges of the key; an object's or
// an actor's entries are the tenant's, newest first, checked row by row
// until a page is full. Nothing is looked up by entry ID. (An index on the
// object, as the table had, was not taken for an object's history either:
// the key gives the order without a lookup per row.)
func TestSQLiteAuditPlans(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	ctx := context.Background()
	require.NoError(t, permission.Migrate(ctx, db))
	admin := permission.Principal{Tenant: uuid.New(), User: uuid.New(), Roles: []permission.Role{permission.RoleAdmin}}
	obj := uuid.New()
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	require.NoError(t, permission.Audit(ctx, db, admin, at, "view", "customer", obj, ""))
	actx := permission.WithPrincipal(ctx, admin)
	first, err := permission.AuditLog(actx, db, permission.AuditQuery{})
	require.NoError(t, err)
	rec := dbtest.Record(db)
	for _, c := range []struct {
		name string
		q    permission.AuditQuery
		plan []string
	}{
		{"newest", permission.AuditQuery{}, []string{"SEARCH al USING PRIMARY KEY (tenant_id=?)"}},
		{"next page", permission.AuditQuery{Before: &first[0]},
			[]string{"SEARCH al USING PRIMARY KEY (tenant_id=? AND (at,id)<(?,?))"}},
		{"period", permission.AuditQuery{From: at, To: at.Add(time.Hour)},
			[]string{"SEARCH al USING PRIMARY KEY (tenant_id=? AND at>? AND at<?)"}},
		{"object's history", permission.AuditQuery{ObjectType: "customer", Object: obj},
			[]string{"SEARCH al USING PRIMARY KEY (tenant_id=?)"}},
		{"object's history, next page", permission.AuditQuery{ObjectType: "customer", Object: obj, Before: &first[0]},
			[]string{"SEARCH al USING PRIMARY KEY (tenant_id=? AND (at,id)<(?,?))"}},
		{"actor", permission.AuditQuery{Actor: admin.User},
			[]string{"SEARCH al USING PRIMARY KEY (tenant_id=?)"}},
	} {
		rec.Take()
		_, err := permission.AuditLog(actx, db, c.q)
		require.NoError(t, err, c.name)
		queries := rec.Take()
		require.Len(t, queries, 1, c.name)
		require.Equal(t, c.plan, dbtest.Plan(t, db, queries[0]), c.name)
	}
}

func TestOrgMemberships(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		dir := newDirectory(t, db)
		tn, err := dir.CreateTenant(ctx, permission.Tenant{Name: "記録商事"})
		require.NoError(t, err)
		company, err := dir.CreateOrgUnit(ctx, permission.OrgUnit{Tenant: tn.ID, Kind: permission.UnitCompany, Name: "本社"})
		require.NoError(t, err)
		branch, err := dir.CreateOrgUnit(ctx, permission.OrgUnit{Tenant: tn.ID, Kind: permission.UnitBranch, Name: "大阪支店", Parent: &company.ID})
		require.NoError(t, err)
		a, err := dir.SaveUser(ctx, permission.User{Tenant: tn.ID, Name: "山田 太郎", Active: true})
		require.NoError(t, err)
		retired, err := dir.SaveUser(ctx, permission.User{Tenant: tn.ID, Name: "鈴木 退職", Active: false})
		require.NoError(t, err)
		loner, err := dir.SaveUser(ctx, permission.User{Tenant: tn.ID, Name: "佐藤 無所属", Active: true})
		require.NoError(t, err)
		require.NoError(t, dir.SetUserOrgUnits(ctx, tn.ID, a.ID, []uuid.UUID{branch.ID, company.ID}))
		require.NoError(t, dir.SetUserOrgUnits(ctx, tn.ID, retired.ID, []uuid.UUID{branch.ID}))

		// Another tenant with members of its own sees none of these.
		other, err := dir.CreateTenant(ctx, permission.Tenant{Name: "他社"})
		require.NoError(t, err)
		theirUnit, err := dir.CreateOrgUnit(ctx, permission.OrgUnit{Tenant: other.ID, Kind: permission.UnitCompany, Name: "他社本社"})
		require.NoError(t, err)
		stranger, err := dir.SaveUser(ctx, permission.User{Tenant: other.ID, Name: "他社 社員", Active: true})
		require.NoError(t, err)
		require.NoError(t, dir.SetUserOrgUnits(ctx, other.ID, stranger.ID, []uuid.UUID{theirUnit.ID}))

		all, err := dir.OrgMemberships(ctx, tn.ID)
		require.NoError(t, err)
		require.Equal(t, map[uuid.UUID][]uuid.UUID{
			a.ID: sorted(branch.ID, company.ID), retired.ID: {branch.ID},
		}, all)
		some, err := dir.OrgMemberships(ctx, tn.ID, retired.ID, loner.ID, stranger.ID)
		require.NoError(t, err)
		require.Equal(t, map[uuid.UUID][]uuid.UUID{retired.ID: {branch.ID}}, some)
		theirs, err := dir.OrgMemberships(ctx, other.ID)
		require.NoError(t, err)
		require.Equal(t, map[uuid.UUID][]uuid.UUID{stranger.ID: {theirUnit.ID}}, theirs)
	})
}

// A host application may import the same user ID into two tenants: each
// tenant's memberships are its own, replaced and read only there.
func TestMembershipsOfOneUserIDInTwoTenants(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		dir := newDirectory(t, db)
		id := uuid.Must(uuid.NewV7())
		type side struct {
			tenant, unit, group uuid.UUID
		}
		var sides [2]side
		for i, name := range []string{"記録商事", "他社"} {
			tn, err := dir.CreateTenant(ctx, permission.Tenant{Name: name})
			require.NoError(t, err)
			unit, err := dir.CreateOrgUnit(ctx, permission.OrgUnit{Tenant: tn.ID, Kind: permission.UnitCompany, Name: name + "本社"})
			require.NoError(t, err)
			_, err = dir.SaveUser(ctx, permission.User{ID: id, Tenant: tn.ID, Name: "山田 太郎", Active: true})
			require.NoError(t, err)
			g, err := dir.CreateGroup(ctx, tn.ID, name+"営業")
			require.NoError(t, err)
			require.NoError(t, dir.SetUserOrgUnits(ctx, tn.ID, id, []uuid.UUID{unit.ID}))
			require.NoError(t, dir.SetGroupMembers(ctx, tn.ID, g.ID, []permission.Member{{User: id, Manager: true}}))
			sides[i] = side{tn.ID, unit.ID, g.ID}
		}
		for _, s := range sides {
			got, err := dir.OrgMemberships(ctx, s.tenant)
			require.NoError(t, err)
			require.Equal(t, map[uuid.UUID][]uuid.UUID{id: {s.unit}}, got, "setting the other tenant's units keeps this one's")
			p, err := dir.Principal(ctx, s.tenant, id)
			require.NoError(t, err)
			require.Equal(t, []uuid.UUID{s.unit}, p.OrgUnits)
			require.Equal(t, []uuid.UUID{s.group}, p.Groups)
			require.Equal(t, []uuid.UUID{s.group}, p.ManagedGroups)
		}
	})
}

// UserNames names the tenant's users asked for, inactive ones included,
// and nobody of another tenant or unknown.
func TestUserNames(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		dir := newDirectory(t, db)
		tn, err := dir.CreateTenant(ctx, permission.Tenant{Name: "記録商事"})
		require.NoError(t, err)
		a, err := dir.SaveUser(ctx, permission.User{Tenant: tn.ID, Name: "山田 太郎", Active: true})
		require.NoError(t, err)
		retired, err := dir.SaveUser(ctx, permission.User{Tenant: tn.ID, Name: "鈴木 退職", Active: false})
		require.NoError(t, err)
		_, err = dir.SaveUser(ctx, permission.User{Tenant: tn.ID, Name: "佐藤 未掲載", Active: true})
		require.NoError(t, err)
		other, err := dir.CreateTenant(ctx, permission.Tenant{Name: "他社"})
		require.NoError(t, err)
		stranger, err := dir.SaveUser(ctx, permission.User{Tenant: other.ID, Name: "他社 社員", Active: true})
		require.NoError(t, err)

		got, err := dir.UserNames(ctx, tn.ID, a.ID, retired.ID, a.ID, stranger.ID, uuid.Must(uuid.NewV7()))
		require.NoError(t, err)
		require.Equal(t, map[uuid.UUID]string{a.ID: "山田 太郎", retired.ID: "鈴木 退職"}, got)
		none, err := dir.UserNames(ctx, tn.ID)
		require.NoError(t, err)
		require.Empty(t, none)
		theirs, err := dir.UserNames(ctx, other.ID, a.ID, stranger.ID)
		require.NoError(t, err)
		require.Equal(t, map[uuid.UUID]string{stranger.ID: "他社 社員"}, theirs)
	})
}
