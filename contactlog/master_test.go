package contactlog_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

func principal(tenant uuid.UUID, roles ...permission.Role) context.Context {
	return permission.WithPrincipal(context.Background(), permission.Principal{Tenant: tenant, User: uuid.New(), Roles: roles})
}

func codes(items []contactlog.MasterItem) map[string]string {
	out := map[string]string{}
	for _, it := range items {
		out[it.Code] = it.Label
	}
	return out
}

func TestMasters(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		require.NoError(t, contactlog.Migrate(context.Background(), db))
		svc, err := contactlog.NewService(db, withDeps(t, db, contactlog.Config{Authorizer: permission.Unrestricted()}))
		require.NoError(t, err)
		tenant := uuid.New()
		staff, admin := principal(tenant, permission.RoleStaff), principal(tenant, permission.RoleAdmin)
		other := principal(uuid.New(), permission.RoleAdmin)

		// Defaults until the tenant sets its own; every default Category2
		// item belongs to a default Category1 item.
		cat1, err := svc.Masters().List(staff, contactlog.MasterCategory1)
		require.NoError(t, err)
		cat2, err := svc.Masters().List(staff, contactlog.MasterCategory2)
		require.NoError(t, err)
		for _, it := range cat2 {
			require.Contains(t, codes(cat1), it.Parent)
		}
		_, err = svc.Masters().List(staff, "colour")
		require.ErrorIs(t, err, contactlog.ErrInvalid)
		_, err = svc.Masters().List(context.Background(), contactlog.MasterProgress)
		require.ErrorIs(t, err, contactlog.ErrUnauthenticated)

		progress, err := svc.Masters().List(staff, contactlog.MasterProgress)
		require.NoError(t, err)
		require.Equal(t, "成約", codes(progress)["won"])
		require.ErrorIs(t, svc.Masters().Set(staff, contactlog.MasterProgress, progress), contactlog.ErrPermissionDenied)

		// Relabel, reorder, archive and add; removing a code is refused.
		next := append([]contactlog.MasterItem{{Code: "negotiating", Label: "交渉中"}}, progress...)
		next[len(next)-1].Archived = true
		next[1].Label = "はじめての接触"
		require.NoError(t, svc.Masters().Set(admin, contactlog.MasterProgress, next))
		got, err := svc.Masters().List(staff, contactlog.MasterProgress)
		require.NoError(t, err)
		require.Equal(t, next, got)
		err = svc.Masters().Set(admin, contactlog.MasterProgress, next[:2])
		var v *contactlog.ValidationError
		require.ErrorAs(t, err, &v)
		require.True(t, v.Has("items", "required"), "codes may not disappear: %v", v)

		err = svc.Masters().Set(admin, contactlog.MasterChannel, []contactlog.MasterItem{
			{Code: "Visit", Label: "訪問"}, {Code: "phone", Label: ""}, {Code: "phone", Label: "電話"}, {Code: "x", Label: "x", Parent: "y"},
		})
		require.ErrorAs(t, err, &v)
		for _, want := range [][2]string{{"items[0].code", "format"}, {"items[1].label", "required"},
			{"items[2].code", "duplicate"}, {"items[3].parent", "not_allowed"}} {
			require.True(t, v.Has(want[0], want[1]), "%v: %v", want, v)
		}

		// Plugins' codes are namespaced by the plugin's name; nothing else
		// may carry a colon.
		channels, err := svc.Masters().List(staff, contactlog.MasterChannel)
		require.NoError(t, err)
		channels = append(channels, contactlog.MasterItem{Code: "ramenshop:counter", Label: "店頭"},
			contactlog.MasterItem{Code: "care2:home_visit", Label: "居宅訪問"})
		require.NoError(t, svc.Masters().Set(admin, contactlog.MasterChannel, channels))
		got, err = svc.Masters().List(staff, contactlog.MasterChannel)
		require.NoError(t, err)
		require.Equal(t, channels, got)
		bad := []string{":counter", "ramenshop:", "ramen_shop:counter", "Ramen:counter", "1ramen:counter",
			"ramen:Counter", "ramen:1counter", "a:b:c", "ramen:coun-ter", "a" + strings.Repeat("b", 40) + ":c"}
		for i, code := range bad {
			err = svc.Masters().Set(admin, contactlog.MasterChannel, append(slices.Clone(channels), contactlog.MasterItem{Code: code, Label: "x"}))
			require.ErrorAs(t, err, &v, "%d %q", i, code)
			require.True(t, v.Has(fmt.Sprintf("items[%d].code", len(channels)), "format"), "%q: %v", code, v)
		}

		// Category2 items need a Category1 parent.
		cat2 = append(cat2, contactlog.MasterItem{Code: "orphan", Label: "孤児", Parent: "nowhere"})
		require.ErrorAs(t, svc.Masters().Set(admin, contactlog.MasterCategory2, cat2), &v)
		require.True(t, v.Has(fmt.Sprintf("items[%d].parent", len(cat2)-1), "unknown"))

		// Another tenant still has the defaults.
		theirs, err := svc.Masters().List(other, contactlog.MasterProgress)
		require.NoError(t, err)
		require.Equal(t, contactlog.DefaultMasters()[contactlog.MasterProgress], theirs)
	})
}

func Example() {
	dir, err := os.MkdirTemp("", "kiroku-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sqldb, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "kiroku.db")+
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		log.Fatal(err)
	}
	db := bun.NewDB(sqldb, sqlitedialect.New())
	defer db.Close()
	ctx := context.Background()
	if err := contactlog.Migrate(ctx, db); err != nil {
		log.Fatal(err)
	}
	directory, err := permission.NewDirectory(db, nil)
	if err != nil {
		log.Fatal(err)
	}
	templates, err := template.NewStoreRegistry(db, nil)
	if err != nil {
		log.Fatal(err)
	}
	svc, err := contactlog.NewService(db, &contactlog.Config{Authorizer: permission.Unrestricted(), Directory: directory, Templates: templates})
	if err != nil {
		log.Fatal(err)
	}
	ctx = permission.WithPrincipal(ctx, permission.Principal{Tenant: uuid.New(), User: uuid.New()})
	items, err := svc.Masters().List(ctx, contactlog.MasterProgress)
	if err != nil {
		log.Fatal(err)
	}
	for _, it := range items {
		fmt.Print(it.Label, " ")
	}
	fmt.Println()
	// Output:
	// 初回接触 提案中 見積提示 成約 失注 フォロー中
}
