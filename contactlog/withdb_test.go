package contactlog_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestWithDBBindsEverything builds a whole tenant inside one transaction —
// its directory rows, a group, a tenant template, a customer, records —
// and works with it through handles bound by WithDB. Every dependency the
// handles hold must read through the transaction: the template registry
// (a record of the uncommitted template), the authorizer (a manager sees
// a group member's record through an uncommitted membership), the
// directory and the customer handle (the record event of the uncommitted
// tenant and customer). The unbound service sees none of it, and after
// the rollback nothing is left.
func TestWithDBBindsEverything(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		defer func() { _ = tx.Rollback() }()

		dir := f.dir.WithDB(tx)
		tn, err := dir.CreateTenant(ctx, permission.Tenant{Name: "取消商事"})
		require.NoError(t, err)
		user := func(name string, role permission.Role) uuid.UUID {
			u, err := dir.SaveUser(ctx, permission.User{Tenant: tn.ID, Name: name, Roles: []permission.Role{role}, Active: true})
			require.NoError(t, err)
			return u.ID
		}
		adminID, staffID, managerID := user("管理 一郎", permission.RoleAdmin), user("担当 二郎", permission.RoleStaff), user("課長 三郎", permission.RoleManager)
		group, err := dir.CreateGroup(ctx, tn.ID, "営業2課")
		require.NoError(t, err)
		require.NoError(t, dir.SetGroupMembers(ctx, tn.ID, group.ID, []permission.Member{{User: staffID}, {User: managerID, Manager: true}}))
		as := func(u uuid.UUID) context.Context {
			p, err := dir.Principal(ctx, tn.ID, u)
			require.NoError(t, err)
			return permission.WithPrincipal(ctx, p)
		}
		admin, staff, manager := as(adminID), as(staffID), as(managerID)

		store, err := template.NewStore(db, &template.Config{Clock: f.clock.Now})
		require.NoError(t, err)
		_, err = store.WithDB(tx).Save(admin, template.Template{Key: "tenant:rollback", Name: "取消", Fields: []template.Field{
			{Key: "note", Label: "備考", Type: template.FieldText, Required: true}}})
		require.NoError(t, err)
		cust, err := f.customer.WithDB(tx).Create(staff, customer.Profile{FamilyName: "取消", FamilyKana: "トリケシ"})
		require.NoError(t, err)

		svc := f.svc.WithDB(tx)
		rec, err := svc.Create(staff, contactlog.Entry{Template: "tenant:rollback", Customer: cust.ID, PublicMemo: "取り消される記録",
			Values: map[string]any{"note": "未確定"}})
		require.NoError(t, err, "the registry reads the uncommitted template through the transaction")
		got, err := svc.Get(manager, rec.ID)
		require.NoError(t, err, "the authorizer reads the uncommitted group membership through the transaction")
		require.Equal(t, "取り消される記録", got.PublicMemo)
		_, err = svc.Masters().List(staff, contactlog.MasterProgress)
		require.NoError(t, err)

		ev, err := f.sys.WithDB(tx).RecordEvent(ctx, tn.ID, rec.ID)
		require.NoError(t, err, "the directory and the customer handle read the uncommitted tenant and customer")
		require.Equal(t, cust.ID, ev.Customer.ID)

		_, err = f.svc.Template(admin, "tenant:rollback", 0)
		require.ErrorIs(t, err, contactlog.ErrNotFound, "the unbound service does not see the transaction")

		require.NoError(t, tx.Rollback())
		_, err = f.dir.Tenant(ctx, tn.ID)
		require.ErrorIs(t, err, permission.ErrNotFound)
		for _, table := range []string{"contact_records", "template_definitions", "customers", "group_members", "audit_log"} {
			n, err := db.NewSelect().TableExpr(table).Where("tenant_id = ?", tn.ID).Count(ctx)
			require.NoError(t, err, table)
			require.Zero(t, n, "%s keeps rows of the rolled-back transaction", table)
		}
	})
}
