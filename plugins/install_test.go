package plugins

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/catalog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/plugins/careservice"
	"github.com/kirokuhq/kiroku/plugins/ramenshop"
)

func TestInstall(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		require.NoError(t, Migrate(ctx, db))
		st, err := template.NewStore(db, nil)
		require.NoError(t, err)
		reg := template.NewRegistry(st)
		h := newHost(t, Config{Templates: reg, DB: db, Plugins: []Spec{{Path: careBin}, {Path: ramenBin}}})
		dir, err := permission.NewDirectory(db, nil)
		require.NoError(t, err)
		svc, err := contactlog.NewService(db, &contactlog.Config{Authorizer: permission.Unrestricted(), Directory: dir, Templates: reg, Plugins: h})
		require.NoError(t, err)
		csvc, err := customer.NewService(db, &customer.Config{Authorizer: permission.Unrestricted()})
		require.NoError(t, err)
		tenant, err := dir.CreateTenant(ctx, permission.Tenant{Name: "ラーメン介護"})
		require.NoError(t, err)
		as := func(email string, roles ...permission.Role) context.Context {
			u, err := dir.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: email, Email: email, Roles: roles, Active: true})
			require.NoError(t, err)
			p, err := dir.Principal(ctx, tenant.ID, u.ID)
			require.NoError(t, err)
			return permission.WithPrincipal(ctx, p)
		}
		admin, staff := as("admin@example.jp", permission.RoleStaff, permission.RoleAdmin), as("staff@example.jp", permission.RoleStaff)
		require.ErrorIs(t, h.Install(staff, svc, csvc), permission.ErrPermissionDenied)
		require.ErrorIs(t, h.Uninstall(staff, svc, "ramenshop"), permission.ErrPermissionDenied)
		require.ErrorIs(t, h.Install(admin, svc, csvc, "laundry"), ErrUnavailable)
		installed, err := h.Installed(staff)
		require.NoError(t, err)
		require.Empty(t, installed)

		// A tenant that already relabelled a default item and carries an
		// item an older ramen-shop version contributed.
		channels := append(contactlog.DefaultMasters()[contactlog.MasterChannel], contactlog.MasterItem{Code: "ramenshop:takeout", Label: "持ち帰り"})
		channels[0].Label = "ご訪問"
		require.NoError(t, svc.Masters().Set(admin, contactlog.MasterChannel, channels))

		require.NoError(t, h.Install(admin, svc, csvc))
		installed, err = h.Installed(staff)
		require.NoError(t, err)
		require.Equal(t, []string{"careservice", "ramenshop"}, installed)
		want := append(channels[:len(channels)-1:len(channels)-1],
			contactlog.MasterItem{Code: "ramenshop:takeout", Label: "持ち帰り", Archived: true},
			contactlog.MasterItem{Code: "ramenshop:counter", Label: "店頭"},
			contactlog.MasterItem{Code: "ramenshop:phone", Label: "電話注文"})
		got, err := svc.Masters().List(staff, contactlog.MasterChannel)
		require.NoError(t, err)
		require.Equal(t, want, got)
		fields, err := csvc.Fields(staff)
		require.NoError(t, err)
		require.Equal(t, []customer.FieldDef{{Key: careservice.FieldCareLevel, Label: "要介護度", Type: customer.FieldSelect,
			Options: careservice.CareLevels}}, fields)

		// Installing again changes nothing; an admin's relabelling of a
		// plugin's item is undone, since the plugin owns its namespace.
		all := func() (map[contactlog.MasterKind][]contactlog.MasterItem, []customer.FieldDef) {
			out := map[contactlog.MasterKind][]contactlog.MasterItem{}
			for _, k := range contactlog.MasterKinds() {
				out[k], err = svc.Masters().List(staff, k)
				require.NoError(t, err)
			}
			fs, err := csvc.Fields(staff)
			require.NoError(t, err)
			return out, fs
		}
		masters1, fields1 := all()
		require.NoError(t, h.Install(admin, svc, csvc))
		masters2, fields2 := all()
		require.Equal(t, masters1, masters2)
		require.Equal(t, fields1, fields2)
		relabelled := append([]contactlog.MasterItem(nil), got...)
		relabelled[len(relabelled)-1].Label = "でんわ"
		require.NoError(t, svc.Masters().Set(admin, contactlog.MasterChannel, relabelled))
		require.NoError(t, csvc.DefineField(admin, customer.FieldDef{Key: careservice.FieldCareLevel, Label: "介護度", Type: customer.FieldText, Position: 4}))
		require.NoError(t, csvc.DefineField(admin, customer.FieldDef{Key: "memo", Label: "メモ", Type: customer.FieldText, Position: 9}))
		require.NoError(t, h.Install(admin, svc, csvc))
		got, err = svc.Masters().List(staff, contactlog.MasterChannel)
		require.NoError(t, err)
		require.Equal(t, want, got)
		fields, err = csvc.Fields(staff)
		require.NoError(t, err)
		require.Equal(t, []customer.FieldDef{
			{Key: careservice.FieldCareLevel, Label: "要介護度", Type: customer.FieldSelect, Options: careservice.CareLevels, Position: 4},
			{Key: "memo", Label: "メモ", Type: customer.FieldText, Options: []string{}, Position: 9},
		}, fields)

		// Customers hold the plugin's field; records use its masters, and
		// its archived items only where they already are.
		c, err := csvc.Create(staff, customer.Profile{FamilyName: "佐藤", FamilyKana: "サトウ",
			Custom: map[string]any{careservice.FieldCareLevel: "要介護2"}})
		require.NoError(t, err)
		require.Equal(t, "要介護2", c.Custom[careservice.FieldCareLevel])
		_, err = csvc.Create(staff, customer.Profile{FamilyName: "鈴木", FamilyKana: "スズキ",
			Custom: map[string]any{careservice.FieldCareLevel: "要介護9"}})
		require.ErrorIs(t, err, customer.ErrInvalid)
		r, err := svc.Create(staff, contactlog.Entry{Template: "builtin:interview", Customer: c.ID, Channel: "ramenshop:counter"})
		require.NoError(t, err)
		require.Equal(t, "ramenshop:counter", r.Channel)
		_, err = svc.Create(staff, contactlog.Entry{Template: "builtin:interview", Customer: c.ID, Channel: "ramenshop:takeout"})
		require.ErrorIs(t, err, contactlog.ErrInvalid)

		// Uninstalled, the plugin's items are archived: kept where records
		// carry them, offered no more; its customer field stays. Installing
		// it again (alone) offers them again.
		require.NoError(t, h.Uninstall(admin, svc, "ramenshop"))
		require.NoError(t, h.Uninstall(admin, svc, "ramenshop"), "uninstalling twice changes nothing")
		installed, err = h.Installed(staff)
		require.NoError(t, err)
		require.Equal(t, []string{"careservice"}, installed)
		archived, err := svc.Masters().List(staff, contactlog.MasterChannel)
		require.NoError(t, err)
		for _, it := range archived {
			require.Equal(t, strings.HasPrefix(it.Code, "ramenshop:"), it.Archived, it.Code)
		}
		r, err = svc.Get(staff, r.ID)
		require.NoError(t, err)
		require.Equal(t, "ramenshop:counter", r.Channel)
		_, err = svc.Create(staff, contactlog.Entry{Template: "builtin:interview", Customer: c.ID, Channel: "ramenshop:counter"})
		require.ErrorIs(t, err, contactlog.ErrInvalid)
		fields, err = csvc.Fields(staff)
		require.NoError(t, err)
		require.Len(t, fields, 2)
		require.NoError(t, h.Install(admin, svc, csvc, "ramenshop"))
		got, err = svc.Masters().List(staff, contactlog.MasterChannel)
		require.NoError(t, err)
		require.Equal(t, want, got)

		// Another tenant gets nothing until it installs.
		theirs := permission.WithPrincipal(ctx, permission.Principal{Tenant: uuid.New(), User: uuid.New(), Roles: []permission.Role{permission.RoleStaff}})
		got, err = svc.Masters().List(theirs, contactlog.MasterChannel)
		require.NoError(t, err)
		require.Equal(t, contactlog.DefaultMasters()[contactlog.MasterChannel], got)
		installed, err = h.Installed(theirs)
		require.NoError(t, err)
		require.Empty(t, installed)
	})
}

// TestInstallCatalog: installing the ramen shop merges its menu into the
// tenant's catalog once; the tenant's own changes survive reinstalling,
// orders name the tenant's items and take the price カテゴリー管理 sets
// when they are written (past orders keep theirs), and purchases take the
// installed items.
func TestInstallCatalog(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		require.NoError(t, Migrate(ctx, db))
		require.NoError(t, contactlog.Migrate(ctx, db))
		st, err := template.NewStore(db, nil)
		require.NoError(t, err)
		reg := template.NewRegistry(st)
		cat, err := catalog.NewService(db, nil)
		require.NoError(t, err)
		h := newHost(t, Config{Templates: reg, DB: db, Catalog: cat, Plugins: []Spec{{Path: ramenBin}}})
		dir, err := permission.NewDirectory(db, nil)
		require.NoError(t, err)
		svc, err := contactlog.NewService(db, &contactlog.Config{Authorizer: permission.Unrestricted(), Directory: dir, Templates: reg, Plugins: h})
		require.NoError(t, err)
		csvc, err := customer.NewService(db, &customer.Config{Authorizer: permission.Unrestricted()})
		require.NoError(t, err)
		tenant, err := dir.CreateTenant(ctx, permission.Tenant{Name: "麺屋"})
		require.NoError(t, err)
		u, err := dir.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: "店長", Email: "tencho@example.jp",
			Roles: []permission.Role{permission.RoleStaff, permission.RoleAdmin}, Active: true})
		require.NoError(t, err)
		p, err := dir.Principal(ctx, tenant.ID, u.ID)
		require.NoError(t, err)
		admin := permission.WithPrincipal(ctx, p)

		// The tenant already sells gyoza its own way.
		gyoza, err := cat.SaveCategory(admin, catalog.Category{Name: "餃子", TaxRate: 10, UsesVariants: true})
		require.NoError(t, err)
		_, err = cat.SaveItem(admin, catalog.Item{Category: gyoza.ID, Name: "餃子 5個", Variant: "5個", UnitPrice: 300})
		require.NoError(t, err)

		require.NoError(t, h.Install(admin, svc, csvc))
		items, err := cat.Items(admin, uuid.Nil, true)
		require.NoError(t, err)
		require.Len(t, items, len(ramenshop.Menu), "the menu once, the tenant's gyoza counted as the menu's")
		cats, err := cat.Categories(admin)
		require.NoError(t, err)
		var names []string
		for _, c := range cats {
			names = append(names, c.Name)
			require.Equal(t, 10, c.TaxRate)
			require.True(t, c.UsesVariants, c.Name)
		}
		require.ElementsMatch(t, []string{"餃子", "ラーメン", "つけ麺", "ご飯", "トッピング", "ドリンク"}, names)
		byName := map[string]catalog.Item{}
		for _, it := range items {
			byName[it.DisplayName()] = it
		}
		require.Equal(t, int64(300), byName["餃子 5個（5個）"].UnitPrice, "the tenant's price stays")
		shoyu := byName["醤油ラーメン 普通（醤油 普通）"]
		require.Equal(t, int64(700), shoyu.UnitPrice)

		// An order of the tenant's items, then the shop raises a price
		// and archives an item, and installs again.
		c, err := csvc.Create(admin, customer.Profile{FamilyName: "麺", FamilyKana: "メン"})
		require.NoError(t, err)
		beer := byName["生ビール（アルコール）"]
		takeOut := func(item catalog.Item, rate int) map[string]any {
			return map[string]any{"item": item.ID.String(), "quantity": 1, "tax_rate": rate}
		}
		order, err := svc.Create(admin, contactlog.Entry{Template: ramenshop.TemplateOrder, Customer: c.ID, Values: map[string]any{
			"dining": ramenshop.EatIn, "lines": []any{map[string]any{"item": shoyu.ID.String(), "quantity": 2}}}})
		require.NoError(t, err)
		require.EqualValues(t, 1540, order.Values["total"], "computed by the plugin: 2 × 700 + 10%")
		// The plugin knows alcohol by the item's variant: beer taken out
		// stays at 10%.
		_, err = svc.Create(admin, contactlog.Entry{Template: ramenshop.TemplateOrder, Customer: c.ID, Values: map[string]any{
			"dining": ramenshop.TakeOut, "lines": []any{takeOut(shoyu, 8), takeOut(beer, 8)}}})
		requireProblem(t, err, "fields.lines[1].tax_rate", "not_allowed")
		shoyu.UnitPrice = 750
		_, err = cat.SaveItem(admin, shoyu)
		require.NoError(t, err)
		beer.Archived = true
		_, err = cat.SaveItem(admin, beer)
		require.NoError(t, err)
		require.NoError(t, h.Install(admin, svc, csvc))
		again, err := cat.Items(admin, uuid.Nil, true)
		require.NoError(t, err)
		require.Len(t, again, len(ramenshop.Menu), "installing again adds nothing")
		for _, it := range again {
			switch it.ID {
			case shoyu.ID:
				require.Equal(t, int64(750), it.UnitPrice, "the tenant's new price stays")
			case beer.ID:
				require.True(t, it.Archived, "what the tenant archived stays archived")
			}
		}
		got, err := svc.Get(admin, order.ID)
		require.NoError(t, err)
		require.Equal(t, order.Values, got.Values, "the order keeps its lines")
		ls, ok := template.LinesOf(got.Values["lines"])
		require.True(t, ok)
		require.Equal(t, "醤油ラーメン 普通(醤油 普通)", ls.Items[0].Name)
		require.Equal(t, int64(700), ls.Items[0].UnitPrice)

		// A new order takes today's price; the archived beer is refused.
		later, err := svc.Create(admin, contactlog.Entry{Template: ramenshop.TemplateOrder, Customer: c.ID, Values: map[string]any{
			"dining": ramenshop.TakeOut, "lines": []any{takeOut(shoyu, 8)}}})
		require.NoError(t, err)
		ls, ok = template.LinesOf(later.Values["lines"])
		require.True(t, ok)
		require.Equal(t, int64(750), ls.Items[0].UnitPrice)
		require.EqualValues(t, 810, later.Values["total"], "750 + 8% (軽減税率)")
		_, err = svc.Create(admin, contactlog.Entry{Template: ramenshop.TemplateOrder, Customer: c.ID, Values: map[string]any{
			"dining": ramenshop.TakeOut, "lines": []any{takeOut(beer, 10)}}})
		requireProblem(t, err, "fields.lines[0].item", "not_allowed")

		// A purchase (利用・会計) names the installed item.
		bought, err := svc.Create(admin, contactlog.Entry{Template: template.KeyUsage, Customer: c.ID, Values: map[string]any{
			"items": []any{map[string]any{"item": shoyu.ID.String(), "quantity": 1}}}})
		require.NoError(t, err)
		ls, ok = template.LinesOf(bought.Values["items"])
		require.True(t, ok)
		require.Equal(t, template.Line{Item: shoyu.ID.String(), Name: "醤油ラーメン 普通(醤油 普通)", Category: "ラーメン",
			Variant: "醤油 普通", Quantity: 1, UnitPrice: 750, TaxRate: 10, Subtotal: 750}, ls.Items[0])
	})
}

// requireProblem fails unless err is a *contactlog.ValidationError with
// the problem code at field.
func requireProblem(t *testing.T, err error, field, code string) {
	t.Helper()
	var verr *contactlog.ValidationError
	require.ErrorAs(t, err, &verr)
	require.True(t, verr.Has(field, code), "%v", verr)
}
