package customer_test

import (
	"context"
	"io/fs"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/date"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/clocktest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// fixture is what every store test needs: a tenant in the directory with
// staff, a manager, an admin and two assignable staff members a and b (the
// manager manages a group of staff, a and b), and an admin of another
// tenant. Principals come from the directory, as in production.
type fixture struct {
	db      *bun.DB
	dir     *permission.Directory
	svc     *customer.Service
	tenant  uuid.UUID
	group   uuid.UUID
	a, b    uuid.UUID
	staff   context.Context // a staff member
	manager context.Context // a manager of the same tenant
	admin   context.Context // an admin of the same tenant
	other   context.Context // an admin of another tenant
	clock   *clocktest.Clock
}

func setup(t *testing.T, db *bun.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, customer.Migrate(ctx, db))
	clock := clocktest.New(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), time.Millisecond)
	dir, err := permission.NewDirectory(db, clock.Now)
	require.NoError(t, err)
	engine, err := permission.NewEngine(db)
	require.NoError(t, err)
	svc, err := customer.NewService(db, &customer.Config{Clock: clock.Now, Authorizer: engine})
	require.NoError(t, err)

	tenant, err := dir.CreateTenant(ctx, permission.Tenant{Name: "記録商事"})
	require.NoError(t, err)
	mkUser := func(tenant uuid.UUID, name string, role permission.Role) uuid.UUID {
		u, err := dir.SaveUser(ctx, permission.User{Tenant: tenant, Name: name, Roles: []permission.Role{role}, Active: true})
		require.NoError(t, err)
		return u.ID
	}
	staff := mkUser(tenant.ID, "担当 一郎", permission.RoleStaff)
	manager := mkUser(tenant.ID, "課長 花子", permission.RoleManager)
	admin := mkUser(tenant.ID, "管理 太郎", permission.RoleAdmin)
	a := mkUser(tenant.ID, "営業 A", permission.RoleStaff)
	b := mkUser(tenant.ID, "営業 B", permission.RoleStaff)
	group, err := dir.CreateGroup(ctx, tenant.ID, "営業1課")
	require.NoError(t, err)
	require.NoError(t, dir.SetGroupMembers(ctx, tenant.ID, group.ID, []permission.Member{
		{User: manager, Manager: true}, {User: staff}, {User: a}, {User: b},
	}))
	other, err := dir.CreateTenant(ctx, permission.Tenant{Name: "他社"})
	require.NoError(t, err)
	otherAdmin := mkUser(other.ID, "他社 管理", permission.RoleAdmin)

	as := func(tenant, user uuid.UUID) context.Context {
		p, err := dir.Principal(ctx, tenant, user)
		require.NoError(t, err)
		return permission.WithPrincipal(ctx, p)
	}
	return &fixture{
		db: db, dir: dir, svc: svc, tenant: tenant.ID, group: group.ID, a: a, b: b, clock: clock,
		staff: as(tenant.ID, staff), manager: as(tenant.ID, manager), admin: as(tenant.ID, admin),
		other: as(other.ID, otherAdmin),
	}
}

func user(ctx context.Context) uuid.UUID {
	p, _ := permission.FromContext(ctx)
	return p.User
}

func taro() customer.Profile {
	return customer.Profile{
		FamilyName: "山田", GivenName: "太郎", FamilyKana: "やまだ", GivenKana: "ﾀﾛｳ",
		Email: "Taro@Example.JP", Mobile: "０９０-1234-5678", Phone: "03-1234-5678",
		PostalCode: "〒1234567", Address: "東京都新宿区西新宿２丁目８−１", Gender: customer.Male,
		Rank: "A", Memo: "ゴルフが趣味。", Consent: true,
	}
}

func birthday(t *testing.T, s string) *date.Date {
	t.Helper()
	d, err := date.Parse(s)
	require.NoError(t, err)
	return &d
}

func requireCodes(t *testing.T, err error, want map[string]string) {
	t.Helper()
	require.ErrorIs(t, err, customer.ErrInvalid)
	var v *customer.ValidationError
	require.ErrorAs(t, err, &v)
	got := map[string]string{}
	for _, f := range v.Fields {
		got[f.Field] = f.Code
	}
	require.Equal(t, want, got)
}

func TestCreateGetNormalizes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		p := taro()
		p.Birthday = birthday(t, "昭和47年3月15日")
		p.Assignees = []uuid.UUID{user(f.staff)}
		c, err := f.svc.Create(f.staff, p)
		require.NoError(t, err)
		require.Equal(t, int64(1), c.Version)

		got, err := f.svc.Get(f.staff, c.ID)
		require.NoError(t, err)
		require.Equal(t, "ヤマダ", got.FamilyKana)
		require.Equal(t, "タロウ", got.GivenKana)
		require.Equal(t, "Taro@example.jp", got.Email)
		require.Equal(t, "090-1234-5678", got.Mobile)
		require.Equal(t, "123-4567", got.PostalCode)
		require.Equal(t, "東京都新宿区西新宿2丁目8−1", got.Address)
		require.Equal(t, date.Date{Year: 1972, Month: 3, Day: 15}, *got.Birthday)
		require.Equal(t, customer.Individual, got.Kind)
		require.Equal(t, customer.Prospect, got.Status)
		require.Equal(t, []uuid.UUID{user(f.staff)}, got.Assignees)
		require.True(t, got.Consent)
		require.NotNil(t, got.ConsentAt)
		require.Equal(t, user(f.staff), *got.ConsentBy)
		require.Equal(t, user(f.staff), got.CreatedBy)
		require.Equal(t, "山田 太郎", got.DisplayName())

		// Another tenant cannot see it, and no principal at all is refused.
		_, err = f.svc.Get(f.other, c.ID)
		require.ErrorIs(t, err, customer.ErrNotFound)
		_, err = f.svc.Get(context.Background(), c.ID)
		require.ErrorIs(t, err, customer.ErrUnauthenticated)
		_, err = f.svc.Create(context.Background(), taro())
		require.ErrorIs(t, err, customer.ErrUnauthenticated)
	})
}

func TestValidationReportsEveryProblem(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		_, err := f.svc.Create(f.staff, customer.Profile{
			GivenName: "太郎", FamilyKana: "山田", Email: "not-an-email", Phone: "abc",
			PostalCode: "12-345", Gender: "robot", Rank: "Z", Custom: map[string]any{"nope": 1},
			Birthday: &date.Date{Year: 2999, Month: 1, Day: 1}, Kind: customer.Company,
		})
		requireCodes(t, err, map[string]string{
			"family_name": validation.CodeRequired, "company_name": validation.CodeRequired,
			"family_kana": validation.CodeNotKana, "email": validation.CodeFormat, "phone": validation.CodeFormat,
			"postal_code": validation.CodeFormat, "gender": validation.CodeUnknown, "rank": validation.CodeUnknown,
			"custom.nope": validation.CodeUnknown, "birthday": validation.CodeOutOfRange,
		})
		_, err = f.svc.Create(f.staff, customer.Profile{FamilyName: "山田", GivenName: "太郎"})
		requireCodes(t, err, map[string]string{"family_kana": validation.CodeRequired, "given_kana": validation.CodeRequired})
		// A company's contact person needs no reading.
		_, err = f.svc.Create(f.staff, customer.Profile{Kind: customer.Company, CompanyName: "㈱髙橋商事", FamilyName: "髙橋"})
		require.NoError(t, err)
	})
}

// TestInvalidTextRefused: a NUL byte, invalid UTF-8 or another control
// character in a customer's text or a search is refused with the field
// named (format) before it reaches the database; the memo keeps line
// breaks and tabs.
func TestInvalidTextRefused(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		for _, bad := range []string{"山\x00田", "山\xff田", "山\x1b田"} {
			_, err := f.svc.Create(f.staff, customer.Profile{
				FamilyName: bad, GivenName: "太郎" + bad, FamilyKana: "ヤマダ", GivenKana: "タロウ",
				Address: bad, DecisionMaker: bad, Memo: bad,
			})
			requireCodes(t, err, map[string]string{
				"family_name": validation.CodeFormat, "given_name": validation.CodeFormat, "address": validation.CodeFormat,
				"decision_maker": validation.CodeFormat, "memo": validation.CodeFormat,
			})
			_, err = f.svc.Search(f.staff, customer.Query{Text: bad})
			requireCodes(t, err, map[string]string{"text": validation.CodeFormat})
			_, err = f.svc.Search(f.staff, customer.Query{Ranks: []string{"A", bad}})
			requireCodes(t, err, map[string]string{"ranks[1]": validation.CodeFormat})
		}
		c, err := f.svc.Create(f.staff, customer.Profile{FamilyName: "山田", GivenName: "太郎", FamilyKana: "ヤマダ", GivenKana: "タロウ",
			Memo: "一行目\n\t二行目"})
		require.NoError(t, err)
		require.Equal(t, "一行目\n\t二行目", c.Memo)
	})
}

func TestUpdateOptimisticLocking(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		c, err := f.svc.Create(f.staff, taro())
		require.NoError(t, err)
		p := c.Profile
		p.GivenName, p.GivenKana = "次郎", "ジロウ"
		p.Consent = false
		u, err := f.svc.Update(f.staff, c.ID, c.Version, p)
		require.NoError(t, err)
		require.Equal(t, int64(2), u.Version)
		require.Nil(t, u.ConsentAt)

		// A stale version changes nothing.
		p.GivenName = "三郎"
		_, err = f.svc.Update(f.staff, c.ID, c.Version, p)
		require.ErrorIs(t, err, customer.ErrConflict)
		got, err := f.svc.Get(f.staff, c.ID)
		require.NoError(t, err)
		require.Equal(t, "次郎", got.GivenName)

		// Another tenant's update finds nothing.
		_, err = f.svc.Update(f.other, c.ID, got.Version, p)
		require.ErrorIs(t, err, customer.ErrNotFound)

		// The creator was made the assignee; changing assignees needs a
		// manager of a group holding every old and new assignee.
		require.Equal(t, []uuid.UUID{user(f.staff)}, got.Assignees)
		p = got.Profile
		p.Assignees = []uuid.UUID{user(f.admin)} // not in the manager's group
		_, err = f.svc.Update(f.manager, c.ID, got.Version, p)
		require.ErrorIs(t, err, customer.ErrPermissionDenied)
		p.Assignees = []uuid.UUID{f.a}
		_, err = f.svc.Update(f.staff, c.ID, got.Version, p)
		require.ErrorIs(t, err, customer.ErrPermissionDenied)
		_, err = f.svc.Update(f.manager, c.ID, got.Version, p)
		require.NoError(t, err)
	})
}

func TestDeleteRestorePurge(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		c, err := f.svc.Create(f.staff, taro())
		require.NoError(t, err)
		require.NoError(t, f.svc.Delete(f.staff, c.ID))
		_, err = f.svc.Get(f.staff, c.ID)
		require.ErrorIs(t, err, customer.ErrNotFound)
		require.ErrorIs(t, f.svc.Delete(f.staff, c.ID), customer.ErrNotFound)

		page, err := f.svc.Search(f.staff, customer.Query{Text: "山田"})
		require.NoError(t, err)
		require.Empty(t, page.Customers)
		trash, err := f.svc.Search(f.staff, customer.Query{Deleted: true})
		require.NoError(t, err)
		require.Len(t, trash.Customers, 1)

		require.ErrorIs(t, f.svc.Restore(f.other, c.ID), customer.ErrNotFound)
		require.NoError(t, f.svc.Restore(f.staff, c.ID))
		got, err := f.svc.Get(f.staff, c.ID)
		require.NoError(t, err)
		require.Equal(t, int64(3), got.Version)

		require.ErrorIs(t, f.svc.Purge(f.staff, c.ID), customer.ErrPermissionDenied)
		require.ErrorIs(t, f.svc.Purge(f.other, c.ID), customer.ErrNotFound)
		require.NoError(t, f.svc.Purge(f.admin, c.ID))
		_, err = f.svc.Get(f.staff, c.ID)
		require.ErrorIs(t, err, customer.ErrNotFound)
		// Nothing of it remains in the search index or the table.
		n, err := db.NewSelect().TableExpr("customers").Where("id = ?", c.ID).Count(context.Background())
		require.NoError(t, err)
		require.Zero(t, n)
	})
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		// Two handles on the same database, as two processes would have.
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = customer.Migrate(context.Background(), dbtest.Reopen(t, db))
			}()
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		require.NoError(t, customer.Migrate(context.Background(), db))
		var n int
		require.NoError(t, db.NewSelect().TableExpr("kiroku_migrations_customer").ColumnExpr("COUNT(*)").Scan(context.Background(), &n))
		// Each migration of the dialect was applied once.
		d, err := storage.Of(db)
		require.NoError(t, err)
		files, err := fs.Glob(os.DirFS("."), "migrations/"+d.String()+"/*.up.sql")
		require.NoError(t, err)
		require.Equal(t, len(files), n)
	})
}
