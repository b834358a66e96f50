package plugins

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

var (
	tvOld = Spec{Path: filepath.Join("tv", FilePrefix+"tv")}
	tvNew = Spec{Path: filepath.Join("upgraded", FilePrefix+"tv")}
)

// tvHost returns a host of the tv plugin at spec (tvOld or tvNew) keeping
// its template versions in db, not started yet, and its registry.
func tvHost(t *testing.T, db *bun.DB, spec Spec) (*Host, *template.Registry) {
	t.Helper()
	st, err := template.NewStore(db, nil)
	require.NoError(t, err)
	reg := template.NewRegistry(st)
	spec.Path = filepath.Join(binDir, spec.Path)
	h, err := New(&Config{Plugins: []Spec{spec}, Templates: reg, DB: db, Logger: quiet(), StartTimeout: time.Minute})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, h.Close()) })
	return h, reg
}

// tvVersions returns the stored versions of tv:log with their plugin
// versions.
func tvVersions(t *testing.T, db *bun.DB) map[int]string {
	t.Helper()
	var rows []templateRow
	require.NoError(t, db.NewSelect().Model(&rows).Where("key = ?", "tv:log").Scan(context.Background()))
	out := map[int]string{}
	for _, r := range rows {
		out[r.Version] = r.PluginVersion
	}
	return out
}

func TestTemplateVersionsAcrossUpgrade(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		require.NoError(t, Migrate(ctx, db))
		staff := newStaff(t, db)
		installIn(t, db, tenantOf(staff), "tv")
		run := func(spec Spec) (*Host, *contactlog.Service, *template.Registry) {
			h, reg := tvHost(t, db, spec)
			require.NoError(t, h.Start(ctx))
			require.Equal(t, StateRunning, statusOf(t, h, "tv").State, statusOf(t, h, "tv").LastError)
			dir, err := permission.NewDirectory(db, nil)
			require.NoError(t, err)
			svc, err := contactlog.NewService(db, &contactlog.Config{Authorizer: permission.Unrestricted(), Directory: dir, Templates: reg, Plugins: h})
			require.NoError(t, err)
			return h, svc, reg
		}

		h, svc, _ := run(tvOld)
		old, err := svc.Create(staff, contactlog.Entry{Template: "tv:log", Values: map[string]any{"minutes": 30}})
		require.NoError(t, err)
		require.Equal(t, 1, old.TemplateVersion)
		require.NoError(t, h.Close())

		// Restarting the same version stores nothing new.
		h, _, _ = run(tvOld)
		require.Equal(t, map[int]string{1: "1.2.3"}, tvVersions(t, db))
		require.NoError(t, h.Close())

		// The upgrade requires place: version 2, for new records.
		_, svc, reg := run(tvNew)
		require.Equal(t, map[int]string{1: "1.2.3", 2: "2.0.0"}, tvVersions(t, db))
		_, err = svc.Create(staff, contactlog.Entry{Template: "tv:log", Values: map[string]any{"minutes": 30}})
		var verr *contactlog.ValidationError
		require.ErrorAs(t, err, &verr)
		require.True(t, verr.Has("fields.place", "required"), "%v", verr)
		r, err := svc.Create(staff, contactlog.Entry{Template: "tv:log", Values: map[string]any{"minutes": 30, "place": "山田様宅"}})
		require.NoError(t, err)
		require.Equal(t, 2, r.TemplateVersion)

		// The old record reads and updates with version 1.
		got, err := svc.Get(staff, old.ID)
		require.NoError(t, err)
		require.Equal(t, 1, got.TemplateVersion)
		e := got.Entry
		e.Values = map[string]any{"minutes": 60}
		upd, err := svc.Update(staff, got.ID, got.Version, e)
		require.NoError(t, err)
		require.Equal(t, 1, upd.TemplateVersion)
		require.EqualValues(t, 2, upd.Values["units"])

		// The registry lists the latest version; the old one stays readable.
		list, err := reg.Templates(ctx, uuid.Nil)
		require.NoError(t, err)
		var versions []int
		for _, tp := range list {
			if tp.Key == "tv:log" {
				versions = append(versions, tp.Version)
			}
		}
		require.Equal(t, []int{2}, versions)
		v1, err := reg.Template(ctx, uuid.Nil, "tv:log", 1)
		require.NoError(t, err)
		require.Len(t, v1.Fields, 3)
		_, err = reg.Template(ctx, uuid.Nil, "tv:log", 3)
		require.ErrorIs(t, err, template.ErrNotFound)
	})
}

func TestTemplateVersionsConcurrentStart(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		require.NoError(t, Migrate(ctx, db))
		for i, spec := range []Spec{tvOld, tvNew} {
			a, _ := tvHost(t, db, spec)
			b, _ := tvHost(t, db, spec)
			var wg sync.WaitGroup
			for _, h := range []*Host{a, b} {
				wg.Go(func() { require.NoError(t, h.Start(ctx)) })
			}
			wg.Wait()
			for _, h := range []*Host{a, b} {
				require.Equal(t, StateRunning, statusOf(t, h, "tv").State, statusOf(t, h, "tv").LastError)
			}
			require.Len(t, tvVersions(t, db), i+1)
		}
	})
}

func TestTemplateVersionsStoredOnceUnderRace(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		ctx := context.Background()
		require.NoError(t, Migrate(ctx, db))
		for i, fields := range [][]template.Field{
			{{Key: "minutes", Label: "作業時間", Type: template.FieldDuration, Required: true}},
			{{Key: "minutes", Label: "作業時間", Type: template.FieldDuration, Required: true}, {Key: "place", Label: "訪問先", Type: template.FieldText}},
		} {
			tp := template.Template{Key: "tv:log", Version: 1, Name: "作業記録", Fields: fields}
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					src, err := versioned(ctx, db, time.Now().UTC(), "tv", "1.0.0", []template.Template{tp})
					if !assert.NoError(t, err) {
						return
					}
					got, err := src.Template(ctx, uuid.Nil, "tv:log", 0)
					if assert.NoError(t, err) {
						assert.Equal(t, i+1, got.Version)
					}
				})
			}
			wg.Wait()
			require.Len(t, tvVersions(t, db), i+1)
		}
	})
}
