package template_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/clocktest"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

type fixture struct {
	store  *template.Store
	tenant uuid.UUID
	admin  context.Context // an admin of the tenant
	staff  context.Context // a staff member of the tenant
	other  context.Context // an admin of another tenant
}

func setup(t *testing.T, db *bun.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, template.Migrate(ctx, db))
	require.NoError(t, template.Migrate(ctx, db)) // idempotent
	clock := clocktest.New(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), time.Second)
	store, err := template.NewStore(db, &template.Config{Clock: clock.Now})
	require.NoError(t, err)
	tenant := uuid.New()
	as := func(tenant uuid.UUID, role permission.Role) context.Context {
		return permission.WithPrincipal(ctx, permission.Principal{Tenant: tenant, User: uuid.New(), Roles: []permission.Role{role}})
	}
	return &fixture{
		store: store, tenant: tenant,
		admin: as(tenant, permission.RoleAdmin),
		staff: as(tenant, permission.RoleStaff),
		other: as(uuid.New(), permission.RoleAdmin),
	}
}

// visit is a tenant template using most of what a definition holds.
func visit() template.Template {
	return template.Template{
		Key: "tenant:visit", Name: "訪問記録", Description: "定期訪問の記録", TaxRounding: template.RoundHalfUp,
		Catalogs: []template.Catalog{{Key: "menu", Name: "メニュー", Items: []template.CatalogItem{
			{Key: "shoyu", Name: "醤油ラーメン", Category: "ラーメン", Classification: "普通", UnitPrice: 700, TaxRate: 10},
		}}},
		Fields: []template.Field{
			{Key: "minutes", Label: "作業時間", Type: template.FieldDuration, Required: true, Min: template.Limit(0), Max: template.Limit(600), Help: "例: 1:30"},
			{Key: "kind", Label: "種別", Type: template.FieldSelect, Options: []string{"訪問", "電話"}, Default: "訪問"},
			{Key: "done", Label: "完了", Type: template.FieldBoolean, Default: false},
			{Key: "items", Label: "明細", Type: template.FieldLines, Catalog: "menu"},
		},
		Aggregations: []template.Aggregation{{Key: "minutes", Label: "作業時間合計", Expr: "sum(.minutes)", Unit: "分"}},
	}
}

func TestStoreVersions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		s := f.store

		v1, err := s.Save(f.admin, visit())
		require.NoError(t, err)
		require.Equal(t, 1, v1.Version)
		want := visit()
		want.Version = 1
		require.Equal(t, want, *v1)

		got, err := s.Get(f.staff, "tenant:visit", 0)
		require.NoError(t, err)
		require.Equal(t, want, *got)

		// Saving the same definition again creates no version.
		same, err := s.Save(f.admin, *v1)
		require.NoError(t, err)
		require.Equal(t, 1, same.Version)

		// A changed definition, based on version 1, becomes version 2.
		edit := *v1
		edit.Fields = append(edit.Fields, template.Field{Key: "note", Label: "備考", Type: template.FieldLongText})
		edit.Fields[0].Label = "訪問時間"
		v2, err := s.Save(f.admin, edit)
		require.NoError(t, err)
		require.Equal(t, 2, v2.Version)

		// Old versions stay readable forever.
		old, err := s.Get(f.staff, "tenant:visit", 1)
		require.NoError(t, err)
		require.Equal(t, "作業時間", old.Fields[0].Label)
		require.Len(t, old.Fields, 4)
		latest, err := s.Get(f.staff, "tenant:visit", 0)
		require.NoError(t, err)
		require.Equal(t, 2, latest.Version)
		require.Equal(t, "訪問時間", latest.Fields[0].Label)
		_, err = s.Get(f.staff, "tenant:visit", 3)
		require.ErrorIs(t, err, template.ErrNotFound)

		// Optimistic locking: an edit based on version 1 is stale now.
		stale := *v1
		stale.Name = "古い編集"
		_, err = s.Save(f.admin, stale)
		require.ErrorIs(t, err, template.ErrConflict)
		// Creating a key that exists conflicts; basing an edit on a key
		// that does not exist is not found.
		fresh := visit()
		_, err = s.Save(f.admin, fresh)
		require.ErrorIs(t, err, template.ErrConflict)
		ghost := visit()
		ghost.Key, ghost.Version = "tenant:ghost", 4
		_, err = s.Save(f.admin, ghost)
		require.ErrorIs(t, err, template.ErrNotFound)

		// A stored version validates records like the original.
		out, verr := old.Validate(map[string]any{"minutes": "1:30", "items": []any{map[string]any{"item": "shoyu", "quantity": 2}}}, tokyo)
		require.Nil(t, verr)
		require.Equal(t, int64(90), out["minutes"])
		require.Equal(t, "訪問", out["kind"])
		require.Equal(t, int64(1540), out["items"].(template.Lines).Total)

		list, err := s.List(f.staff)
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, 2, list[0].Version)
	})
}

func TestStoreRefusals(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		s := f.store

		_, err := s.Save(f.staff, visit())
		require.ErrorIs(t, err, template.ErrPermissionDenied)
		_, err = s.Save(context.Background(), visit())
		require.ErrorIs(t, err, template.ErrUnauthenticated)
		_, err = s.Get(context.Background(), "tenant:visit", 0)
		require.ErrorIs(t, err, template.ErrUnauthenticated)

		// Only the tenant namespace can be saved.
		b := visit()
		b.Key = "builtin:visit"
		_, err = s.Save(f.admin, b)
		var verr *validation.Error
		require.True(t, errors.As(err, &verr))
		require.True(t, verr.Has("key", validation.CodeNotAllowed))

		// A bad expression can never be stored.
		bad := visit()
		bad.Aggregations[0].Expr = "sum(.minutes) / cuont()"
		_, err = s.Save(f.admin, bad)
		require.ErrorIs(t, err, template.ErrInvalid)
		require.True(t, errors.As(err, &verr))
		require.Equal(t, []validation.FieldError{{Field: "aggregations[0].expr", Code: validation.CodeFormat, Param: "unknown name cuont (1:17)"}}, verr.Fields)
		_, err = s.Get(f.admin, "tenant:visit", 0)
		require.ErrorIs(t, err, template.ErrNotFound)

		// Tenants do not see each other's templates.
		_, err = s.Save(f.admin, visit())
		require.NoError(t, err)
		_, err = s.Get(f.other, "tenant:visit", 0)
		require.ErrorIs(t, err, template.ErrNotFound)
		list, err := s.List(f.other)
		require.NoError(t, err)
		require.Empty(t, list)
		_, err = s.Template(f.other, f.tenant, "tenant:visit", 0) // another tenant's principal
		require.ErrorIs(t, err, template.ErrNotFound)
		_, err = s.Get(f.admin, "builtin:daily", 0)
		require.ErrorIs(t, err, template.ErrNotFound)
	})
}

func TestStoreArchive(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		s := f.store
		_, err := s.Save(f.admin, visit())
		require.NoError(t, err)
		other := visit()
		other.Key, other.Name = "tenant:call", "電話記録"
		_, err = s.Save(f.admin, other)
		require.NoError(t, err)

		require.ErrorIs(t, s.Archive(f.staff, "tenant:visit"), template.ErrPermissionDenied)
		require.ErrorIs(t, s.Archive(f.admin, "tenant:nope"), template.ErrNotFound)
		require.ErrorIs(t, s.Archive(f.other, "tenant:visit"), template.ErrNotFound)
		require.NoError(t, s.Archive(f.admin, "tenant:visit"))
		require.NoError(t, s.Archive(f.admin, "tenant:visit")) // again: nothing happens

		// Hidden from new records, still rendered.
		reg := template.NewRegistry(s)
		all, err := reg.Templates(f.staff, f.tenant)
		require.NoError(t, err)
		var keys []string
		for _, tpl := range all {
			keys = append(keys, tpl.Key)
		}
		require.Contains(t, keys, "tenant:call")
		require.NotContains(t, keys, "tenant:visit")
		got, err := reg.Template(f.staff, f.tenant, "tenant:visit", 1)
		require.NoError(t, err)
		require.True(t, got.Archived)

		list, err := s.List(f.admin) // the admin's list shows archived ones
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, "tenant:call", list[0].Key)
		require.False(t, list[0].Archived)
		require.True(t, list[1].Archived)

		// Saving a new version keeps the archive flag; Unarchive clears it.
		edit := *got
		edit.Name = "訪問記録(旧)"
		v2, err := s.Save(f.admin, edit)
		require.NoError(t, err)
		require.True(t, v2.Archived)
		require.NoError(t, s.Unarchive(f.admin, "tenant:visit"))
		got, err = s.Get(f.staff, "tenant:visit", 0)
		require.NoError(t, err)
		require.False(t, got.Archived)
		require.Equal(t, 2, got.Version)
	})
}

// TestStoreConcurrentSaves: of several edits based on the same version,
// exactly one is saved; the others conflict.
func TestStoreConcurrentSaves(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		v1, err := f.store.Save(f.admin, visit())
		require.NoError(t, err)

		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				edit := v1.Clone()
				edit.Name = "編集 " + string(rune('A'+i))
				_, errs[i] = f.store.Save(f.admin, edit)
			}()
		}
		wg.Wait()
		saved := 0
		for _, err := range errs {
			if err == nil {
				saved++
				continue
			}
			require.ErrorIs(t, err, template.ErrConflict)
		}
		require.Equal(t, 1, saved)
		latest, err := f.store.Get(f.staff, "tenant:visit", 0)
		require.NoError(t, err)
		require.Equal(t, 2, latest.Version)
	})
}

// TestRegistryOverStore: the record engine's view, by (tenant, key,
// version), across built-in, tenant and plugin templates.
func TestRegistryOverStore(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		_, err := f.store.Save(f.admin, visit())
		require.NoError(t, err)
		reg := template.NewRegistry(f.store)
		care, err := template.Static("careservice", careVisit(1, "提供時間"))
		require.NoError(t, err)
		require.NoError(t, reg.Register("careservice", care))

		for _, key := range []string{template.KeyInterview, "tenant:visit", "careservice:visit"} {
			tpl, err := reg.Template(f.staff, f.tenant, key, 1)
			require.NoError(t, err, key)
			require.Equal(t, key, tpl.Key)
		}
		all, err := reg.Templates(f.staff, f.tenant)
		require.NoError(t, err)
		require.Len(t, all, 8)
		require.Equal(t, "tenant:visit", all[6].Key)
		require.Equal(t, "careservice:visit", all[7].Key)

		// Without a principal (a background report job) the tenant is taken
		// as given.
		tpl, err := reg.Template(context.Background(), f.tenant, "tenant:visit", 0)
		require.NoError(t, err)
		require.Equal(t, 1, tpl.Version)
	})
}

// Two stores on one database, as two processes have, serving a tenant of
// the directory: what one saves or archives is what the other serves
// next, though it keeps the tenant's templates in memory and, while the
// tenant version has not moved, reads only that version.
func TestStoreCacheAcrossStores(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		ctx := context.Background()
		dir, err := permission.NewDirectory(db, nil)
		require.NoError(t, err)
		tenant, err := dir.CreateTenant(ctx, permission.Tenant{Name: "二つの店"})
		require.NoError(t, err)
		admin := permission.WithPrincipal(ctx, permission.Principal{Tenant: tenant.ID, User: uuid.New(),
			Roles: []permission.Role{permission.RoleAdmin}})
		otherDB := dbtest.Reopen(t, db)
		other, err := template.NewStore(otherDB, nil)
		require.NoError(t, err)
		names := func() []string {
			t.Helper()
			ts, err := other.Templates(admin, tenant.ID)
			require.NoError(t, err)
			var out []string
			for _, tpl := range ts {
				out = append(out, tpl.Name)
			}
			return out
		}
		require.Empty(t, names())

		v1, err := f.store.Save(admin, visit())
		require.NoError(t, err)
		require.Equal(t, []string{"訪問記録"}, names())
		rec := dbtest.Record(otherDB)
		ts, err := other.Templates(admin, tenant.ID)
		require.NoError(t, err)
		ts[0].Name, ts[0].Fields[0].Label = "書き換え", "書き換え"
		stmts := rec.Take()
		require.Len(t, stmts, 1, "%q", stmts)
		require.Contains(t, stmts[0], permission.VersionColumn)
		got, err := other.Get(admin, "tenant:visit", 0)
		require.NoError(t, err)
		require.Equal(t, "訪問記録", got.Name, "what a caller changes is its own copy")
		require.Equal(t, "作業時間", got.Fields[0].Label)

		edit := *v1
		edit.Name = "訪問記録（改）"
		_, err = f.store.Save(admin, edit)
		require.NoError(t, err)
		got, err = other.Template(admin, tenant.ID, "tenant:visit", 0)
		require.NoError(t, err)
		require.Equal(t, 2, got.Version)
		require.Equal(t, "訪問記録（改）", got.Name)
		got, err = other.Get(admin, "tenant:visit", 1)
		require.NoError(t, err)
		require.Equal(t, "訪問記録", got.Name)
		_, err = other.Get(admin, "tenant:visit", 3)
		require.ErrorIs(t, err, template.ErrNotFound)
		_, err = other.Get(admin, "tenant:absent", 0)
		require.ErrorIs(t, err, template.ErrNotFound)

		require.NoError(t, f.store.Archive(admin, "tenant:visit"))
		require.Empty(t, names())
		got, err = other.Get(admin, "tenant:visit", 0)
		require.NoError(t, err)
		require.True(t, got.Archived)
		require.NoError(t, f.store.Unarchive(admin, "tenant:visit"))
		require.Equal(t, []string{"訪問記録（改）"}, names())
	})
}
