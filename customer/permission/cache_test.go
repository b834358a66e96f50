package permission_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestPrincipalCacheAcrossProcesses runs two "processes" (independent
// connection pools on one database, each with its directory and cache):
// what one writes to the directory, the other's cache sees at its next
// lookup, and a lookup that finds its entry current costs one statement.
func TestPrincipalCacheAcrossProcesses(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		dirA := newDirectory(t, db)
		dbB := dbtest.Reopen(t, db)
		dirB, err := permission.NewDirectory(dbB, nil)
		require.NoError(t, err)
		rec := dbtest.Record(db)
		cacheA := permission.NewPrincipalCache(dirA, 0)

		tn, err := dirA.CreateTenant(ctx, permission.Tenant{Name: "記録商事"})
		require.NoError(t, err)
		u, err := dirA.SaveUser(ctx, permission.User{Tenant: tn.ID, Name: "山田 太郎", Active: true})
		require.NoError(t, err)
		g, err := dirA.CreateGroup(ctx, tn.ID, "営業1課")
		require.NoError(t, err)

		lookup := func() permission.Principal {
			t.Helper()
			p, user, err := cacheA.Lookup(ctx, tn.ID, u.ID)
			require.NoError(t, err)
			want, err := dirA.Principal(ctx, tn.ID, u.ID)
			require.NoError(t, err)
			require.Equal(t, want, p)
			stored, err := dirA.User(ctx, tn.ID, u.ID)
			require.NoError(t, err)
			require.Equal(t, stored, user)
			return p
		}
		require.Empty(t, lookup().Groups)
		rec.Take()
		p, _, err := cacheA.Lookup(ctx, tn.ID, u.ID)
		require.NoError(t, err)
		require.Len(t, rec.Take(), 1, "a current entry costs the version read only")
		// The caller's copy is its own.
		p.Roles[0] = permission.RoleAdmin
		require.Equal(t, []permission.Role{permission.RoleStaff}, lookup().Roles)

		// Every kind of directory write by the other process is seen.
		require.NoError(t, dirB.SetGroupMembers(ctx, tn.ID, g.ID, []permission.Member{{User: u.ID, Manager: true}}))
		require.Equal(t, []uuid.UUID{g.ID}, lookup().ManagedGroups)
		company, err := dirB.CreateOrgUnit(ctx, permission.OrgUnit{Tenant: tn.ID, Kind: permission.UnitCompany, Name: "本社"})
		require.NoError(t, err)
		require.NoError(t, dirB.SetUserOrgUnits(ctx, tn.ID, u.ID, []uuid.UUID{company.ID}))
		require.Equal(t, []uuid.UUID{company.ID}, lookup().OrgUnits)
		require.NoError(t, dirB.DeleteGroup(ctx, tn.ID, g.ID))
		require.Empty(t, lookup().Groups)
		cur, err := dirB.Tenant(ctx, tn.ID)
		require.NoError(t, err)
		cur.CustomerVisibility, cur.TimeZone = permission.VisibilityAssigned, "UTC"
		_, err = dirB.UpdateTenant(ctx, *cur)
		require.NoError(t, err)
		require.Equal(t, "UTC", lookup().Location.String())
		u.Name, u.Roles = "山田 花子", []permission.Role{permission.RoleManager}
		_, err = dirB.SaveUser(ctx, *u)
		require.NoError(t, err)
		require.Equal(t, []permission.Role{permission.RoleManager}, lookup().Roles)
		before, err := dirA.Version(ctx, tn.ID)
		require.NoError(t, err)
		require.NoError(t, dirB.RenameOrgUnit(ctx, tn.ID, company.ID, "本店"))
		after, err := dirA.Version(ctx, tn.ID)
		require.NoError(t, err)
		require.Greater(t, after, before)

		// A deactivated user is refused at once, not served from memory.
		u.Active = false
		_, err = dirB.SaveUser(ctx, *u)
		require.NoError(t, err)
		_, _, err = cacheA.Lookup(ctx, tn.ID, u.ID)
		require.ErrorIs(t, err, permission.ErrUnauthenticated)
	})
}

// TestPrincipalCacheBounded fills a cache of two with three users: every
// lookup still answers right.
func TestPrincipalCacheBounded(t *testing.T) {
	t.Parallel()
	db := dbtest.SQLite(t)
	ctx := context.Background()
	dir := newDirectory(t, db)
	tn, err := dir.CreateTenant(ctx, permission.Tenant{Name: "記録商事"})
	require.NoError(t, err)
	cache := permission.NewPrincipalCache(dir, 2)
	var users []uuid.UUID
	for _, name := range []string{"一", "二", "三"} {
		u, err := dir.SaveUser(ctx, permission.User{Tenant: tn.ID, Name: name, Active: true})
		require.NoError(t, err)
		users = append(users, u.ID)
	}
	for range 2 {
		for _, id := range users {
			p, u, err := cache.Lookup(ctx, tn.ID, id)
			require.NoError(t, err)
			require.Equal(t, id, p.User)
			require.Equal(t, id, u.ID)
		}
	}
}

// TestPrincipalCacheUsers: the cached staff list is what Directory.Users
// returns, costs the version read only while current, and follows a write
// by another process at the next call.
func TestPrincipalCacheUsers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		dirA := newDirectory(t, db)
		dirB, err := permission.NewDirectory(dbtest.Reopen(t, db), nil)
		require.NoError(t, err)
		rec := dbtest.Record(db)
		cache := permission.NewPrincipalCache(dirA, 0)
		tn, err := dirA.CreateTenant(ctx, permission.Tenant{Name: "記録商事"})
		require.NoError(t, err)
		_, err = dirA.SaveUser(ctx, permission.User{Tenant: tn.ID, Name: "山田 太郎", Kana: "やまだ たろう", Active: true})
		require.NoError(t, err)

		users := func() []permission.User {
			t.Helper()
			got, err := cache.Users(ctx, tn.ID)
			require.NoError(t, err)
			want, err := dirA.Users(ctx, tn.ID)
			require.NoError(t, err)
			require.Equal(t, want, got)
			return got
		}
		require.Len(t, users(), 1)
		rec.Take()
		got, err := cache.Users(ctx, tn.ID)
		require.NoError(t, err)
		require.Len(t, rec.Take(), 1, "a current list costs the version read only")
		// The caller's copy is its own.
		got[0].Roles[0], got[0].Name = permission.RoleAdmin, "書き換え"
		require.Equal(t, "山田 太郎", users()[0].Name)
		require.Equal(t, []permission.Role{permission.RoleStaff}, users()[0].Roles)

		_, err = dirB.SaveUser(ctx, permission.User{Tenant: tn.ID, Name: "青木 一郎", Kana: "あおき いちろう", Active: true})
		require.NoError(t, err)
		require.Equal(t, "青木 一郎", users()[0].Name, "another process's new colleague is listed at the next call")
	})
}
