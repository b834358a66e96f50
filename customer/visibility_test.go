package customer_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/date"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

func TestAuditTrail(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		c, err := f.svc.Create(f.staff, taro())
		require.NoError(t, err)
		_, err = f.svc.Get(f.staff, c.ID)
		require.NoError(t, err)
		p := c.Profile
		p.Memo = "更新"
		_, err = f.svc.Update(f.staff, c.ID, c.Version, p)
		require.NoError(t, err)
		_, err = f.svc.Export(f.staff, &bytes.Buffer{}, customer.Query{}, customer.ExportOptions{})
		require.NoError(t, err)
		require.NoError(t, f.svc.Delete(f.staff, c.ID))
		require.NoError(t, f.svc.Purge(f.admin, c.ID))
		// A failed update leaves no trace.
		_, err = f.svc.Update(f.staff, c.ID, c.Version, p)
		require.ErrorIs(t, err, customer.ErrNotFound)

		entries, err := permission.AuditLog(f.admin, db, permission.AuditQuery{Actor: user(f.staff)})
		require.NoError(t, err)
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
			require.Equal(t, "customer", e.ObjectType)
		}
		require.Equal(t, []string{"delete", "export", "edit", "view", "create"}, actions)
		purged, err := permission.AuditLog(f.admin, db, permission.AuditQuery{Object: c.ID})
		require.NoError(t, err)
		require.Equal(t, "purge", purged[0].Action)
	})
}

func TestAssignedVisibility(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		tn, err := f.dir.Tenant(ctx, f.tenant)
		require.NoError(t, err)
		tn.CustomerVisibility = permission.VisibilityAssigned
		_, err = f.dir.UpdateTenant(ctx, *tn)
		require.NoError(t, err)
		as := func(user uuid.UUID) context.Context {
			p, err := f.dir.Principal(ctx, f.tenant, user)
			require.NoError(t, err)
			return permission.WithPrincipal(ctx, p)
		}
		staff, manager := as(user(f.staff)), as(user(f.manager))
		partnerUser, err := f.dir.SaveUser(ctx, permission.User{Tenant: f.tenant, Name: "協力 業者", Roles: []permission.Role{permission.RolePartner}, Active: true})
		require.NoError(t, err)
		outsider, err := f.dir.SaveUser(ctx, permission.User{Tenant: f.tenant, Name: "別部署 社員", Active: true})
		require.NoError(t, err)
		partner := as(partnerUser.ID)

		mk := func(name string, assignees ...uuid.UUID) uuid.UUID {
			p := taro()
			p.GivenName = name
			p.Assignees = assignees
			c, err := f.svc.Create(f.admin, p)
			require.NoError(t, err)
			return c.ID
		}
		mine := mk("自分", user(f.staff))
		groupMate := mk("同僚", f.a)
		partners := mk("業者", partnerUser.ID)
		elsewhere := mk("他部署", outsider.ID)

		ids := func(ctx context.Context) []uuid.UUID {
			page, err := f.svc.Search(ctx, customer.Query{Sort: customer.SortCreated, WithTotal: true})
			require.NoError(t, err)
			require.Equal(t, len(page.Customers), page.Total)
			var out []uuid.UUID
			for _, c := range page.Customers {
				out = append(out, c.ID)
			}
			return out
		}
		require.Equal(t, []uuid.UUID{mine}, ids(staff))
		require.Equal(t, []uuid.UUID{mine, groupMate}, ids(manager)) // members of the group they manage
		require.Equal(t, []uuid.UUID{partners}, ids(partner))
		require.Equal(t, []uuid.UUID{mine, groupMate, partners, elsewhere}, ids(f.admin))
		_, err = f.svc.Get(staff, elsewhere)
		require.ErrorIs(t, err, customer.ErrNotFound)
		// Names follow the same rule, in one query, without audit entries.
		names, err := f.svc.Names(manager, []uuid.UUID{mine, groupMate, partners, elsewhere, uuid.New()})
		require.NoError(t, err)
		require.Equal(t, map[uuid.UUID]string{mine: "山田 自分", groupMate: "山田 同僚"}, names)
		names, err = f.svc.Names(f.other, []uuid.UUID{mine})
		require.NoError(t, err)
		require.Empty(t, names, "another tenant's admin gets no names")
		_, err = f.svc.Update(staff, elsewhere, 1, taro())
		require.ErrorIs(t, err, customer.ErrNotFound)
		// Partners see but do not create, edit or export.
		_, err = f.svc.Create(partner, taro())
		require.ErrorIs(t, err, customer.ErrPermissionDenied)
		got, err := f.svc.Get(partner, partners)
		require.NoError(t, err)
		_, err = f.svc.Update(partner, partners, got.Version, got.Profile)
		require.ErrorIs(t, err, customer.ErrPermissionDenied)
		_, err = f.svc.Export(partner, &bytes.Buffer{}, customer.Query{}, customer.ExportOptions{})
		require.ErrorIs(t, err, customer.ErrPermissionDenied)

		// A customer principal sees its own customer and nothing else, and
		// changes nothing.
		portal := permission.WithPrincipal(ctx, permission.Principal{Tenant: f.tenant, User: uuid.New(), Kind: permission.Customer, Customer: mine})
		require.Equal(t, []uuid.UUID{mine}, ids(portal))
		own, err := f.svc.Get(portal, mine)
		require.NoError(t, err)
		_, err = f.svc.Update(portal, mine, own.Version, own.Profile)
		require.ErrorIs(t, err, customer.ErrPermissionDenied)
		_, err = f.svc.Get(portal, groupMate)
		require.ErrorIs(t, err, customer.ErrNotFound)

		// A staff member's my list counts only what they can see.
		l, err := f.svc.CreateList(manager, "担当外も")
		require.NoError(t, err)
		require.NoError(t, f.svc.AddToList(manager, l.ID, mine, groupMate))
		require.ErrorIs(t, f.svc.AddToList(manager, l.ID, elsewhere), customer.ErrNotFound)
		_, err = f.svc.Reassign(f.admin, f.a, outsider.ID)
		require.NoError(t, err)
		lists, err := f.svc.Lists(manager)
		require.NoError(t, err)
		require.Equal(t, 1, lists[0].Count)
	})
}

func TestAssigneesMustBeActiveStaff(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		stranger := uuid.New()
		p := taro()
		p.Assignees = []uuid.UUID{f.a, stranger}
		_, err := f.svc.Create(f.staff, p)
		requireCodes(t, err, map[string]string{"assignees": "unknown"})

		// Another tenant's staff member is a stranger too.
		otherUser := user(f.other)
		p.Assignees = []uuid.UUID{otherUser}
		_, err = f.svc.Create(f.staff, p)
		requireCodes(t, err, map[string]string{"assignees": "unknown"})

		// A departed (inactive) member can no longer be given customers, but
		// customers already assigned to them stay editable.
		p.Assignees = []uuid.UUID{f.a}
		c, err := f.svc.Create(f.staff, p)
		require.NoError(t, err)
		a, err := f.dir.User(ctx, f.tenant, f.a)
		require.NoError(t, err)
		a.Active = false
		_, err = f.dir.SaveUser(ctx, *a)
		require.NoError(t, err)
		p.Memo = "退職者の担当のまま編集"
		c, err = f.svc.Update(f.staff, c.ID, c.Version, p)
		require.NoError(t, err)
		require.NoError(t, f.svc.SetAssignees(f.manager, c.ID, []uuid.UUID{f.a, f.b})) // a stays, b is added
		p.Assignees = []uuid.UUID{f.b}
		c2, err := f.svc.Create(f.staff, p)
		require.NoError(t, err)
		requireCodes(t, f.svc.SetAssignees(f.manager, c2.ID, []uuid.UUID{f.b, f.a}), map[string]string{"assignees": "unknown"})
		_, err = f.svc.Reassign(f.manager, f.b, f.a)
		requireCodes(t, err, map[string]string{"to": "unknown"})
	})
}

func TestTenantTimeZoneDecidesToday(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db) // the clock reads 2026-11-22 09:00 UTC: the 22nd in Tokyo, the 21st in Honolulu
		ctx := context.Background()
		tn, err := f.dir.Tenant(ctx, f.tenant)
		require.NoError(t, err)
		p := taro()
		p.Birthday = &date.Date{Year: 2026, Month: 11, Day: 22}
		_, err = f.svc.Create(f.staff, p)
		require.NoError(t, err, "born today in Tokyo")

		tn.TimeZone = "Pacific/Honolulu"
		_, err = f.dir.UpdateTenant(ctx, *tn)
		require.NoError(t, err)
		pr, err := f.dir.Principal(ctx, f.tenant, user(f.staff))
		require.NoError(t, err)
		_, err = f.svc.Create(permission.WithPrincipal(ctx, pr), p)
		requireCodes(t, err, map[string]string{"birthday": "out_of_range"})
	})
}
