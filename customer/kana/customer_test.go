package kana_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// TestCustomerImportWithSuggester imports memolog's own template row (姓
// and 名, no readings) into a tenant whose readings are optional, with the
// dictionary suggester plugged into the customer engine: the row imports,
// and the suggested reading is reported and filled.
func TestCustomerImportWithSuggester(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		require.NoError(t, customer.Migrate(ctx, db))
		now := func() time.Time { return time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC) }
		dir, err := permission.NewDirectory(db, now)
		require.NoError(t, err)
		rules, err := permission.NewEngine(db)
		require.NoError(t, err)
		svc, err := customer.NewService(db, &customer.Config{Clock: now, Authorizer: rules, KanaSuggester: suggester})
		require.NoError(t, err)
		tenant, err := dir.CreateTenant(ctx, permission.Tenant{Name: "記録商事"})
		require.NoError(t, err)
		as := func(role permission.Role) context.Context {
			u, err := dir.SaveUser(ctx, permission.User{Tenant: tenant.ID, Name: string(role), Roles: []permission.Role{role}, Active: true})
			require.NoError(t, err)
			p, err := dir.Principal(ctx, tenant.ID, u.ID)
			require.NoError(t, err)
			return permission.WithPrincipal(ctx, p)
		}
		admin, staff := as(permission.RoleAdmin), as(permission.RoleStaff)
		require.NoError(t, svc.SetTenantSettings(admin, customer.TenantSettings{KanaOptional: true}))

		r, ok, err := svc.SuggestKana(staff, "鈴木", "一郎")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, customer.KanaReading{FamilyKana: "スズキ", GivenKana: "イチロウ"}, r)

		file := "姓 (必須入力),名 (必須入力),姓カナ,名カナ,電話番号,携帯電話,誕生日,性別,メールアドレス,備考\r\n" +
			"髙橋,花子,,,,,,,,\r\n"
		rep, err := svc.Import(staff, strings.NewReader(file), customer.ImportOptions{FillSuggestedKana: true})
		require.NoError(t, err)
		require.Equal(t, 1, rep.Created)
		require.Equal(t, []customer.SuggestedKana{{Line: 2, FamilyKana: "タカハシ", GivenKana: "ハナコ", Filled: true}}, rep.Suggested)
		page, err := svc.Search(staff, customer.Query{Text: "高橋"})
		require.NoError(t, err)
		require.Len(t, page.Customers, 1)
		c := page.Customers[0]
		require.Equal(t, [4]string{"髙橋", "花子", "タカハシ", "ハナコ"}, [4]string{c.FamilyName, c.GivenName, c.FamilyKana, c.GivenKana})
	})
}
