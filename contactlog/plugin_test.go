package contactlog_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/dbtest"
)

// fakePlugins answers the record hooks of the "fake" namespace from
// functions a test sets.
type fakePlugins struct {
	validate func(contactlog.PluginRecord) []contactlog.FieldError
	compute  func(contactlog.PluginRecord) map[string]any
	err      error
}

func (f *fakePlugins) CheckRecords(_ context.Context, ns string, rs []contactlog.PluginRecord) ([]contactlog.PluginResult, error) {
	if f.err != nil {
		return nil, f.err
	}
	out := make([]contactlog.PluginResult, len(rs))
	for i, r := range rs {
		if out[i].Problems = f.validate(r); out[i].Problems == nil {
			out[i].Computed = f.compute(r)
		}
	}
	return out, nil
}

// The engine's side of plugin templates, with a fake in place of the host:
// problems join the validation error, only declared computed keys with
// valid values are stored, and an unavailable plugin stops the write.
func TestPluginHooks(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		f := setup(t, db)
		src, err := template.Static("fake", template.Template{Key: "fake:visit", Version: 1, Name: "訪問", Computed: []string{"units"},
			Fields: []template.Field{
				{Key: "minutes", Label: "時間", Type: template.FieldInteger, Required: true},
				{Key: "units", Label: "単位", Type: template.FieldInteger, Min: template.Limit(0)},
			}})
		require.NoError(t, err)
		reg := template.NewRegistry(nil)
		require.NoError(t, reg.Register("fake", src))
		engine, err := permission.NewEngine(db)
		require.NoError(t, err)
		hooks := &fakePlugins{
			validate: func(r contactlog.PluginRecord) []contactlog.FieldError {
				if r.Values["minutes"].(float64) > 600 {
					return []contactlog.FieldError{{Field: "fields.minutes", Code: validation.CodeOutOfRange, Param: "..600"}}
				}
				return nil
			},
			compute: func(r contactlog.PluginRecord) map[string]any {
				return map[string]any{"units": r.Values["minutes"].(float64) / 10}
			},
		}
		svc, err := contactlog.NewService(db, withDeps(t, db, contactlog.Config{Authorizer: engine, Templates: reg, Plugins: hooks, Clock: f.clock.Now}))
		require.NoError(t, err)
		e := entry(f.yamada.ID)
		e.Template = "fake:visit"
		e.Values = map[string]any{"minutes": 90, "units": 999} // users do not set computed fields

		r, err := svc.Create(f.staff, e)
		require.NoError(t, err)
		require.Equal(t, float64(9), r.Values["units"])
		got, err := svc.Get(f.staff, r.ID)
		require.NoError(t, err)
		require.Equal(t, float64(9), got.Values["units"])

		e.Values = map[string]any{"minutes": 700}
		_, err = svc.Create(f.staff, e)
		requireField(t, err, "fields.minutes", validation.CodeOutOfRange)

		// A computed key the template does not declare, or a value its field
		// refuses, is the plugin's fault: nothing is stored.
		count := func() int {
			page, err := svc.Search(f.staff, contactlog.Query{Templates: []string{"fake:visit"}, WithTotal: true})
			require.NoError(t, err)
			return page.Total
		}
		before := count()
		e.Values = map[string]any{"minutes": 60}
		hooks.compute = func(contactlog.PluginRecord) map[string]any { return map[string]any{"secret": 1} }
		_, err = svc.Create(f.staff, e)
		require.ErrorIs(t, err, contactlog.ErrUnavailable)
		hooks.compute = func(contactlog.PluginRecord) map[string]any { return map[string]any{"units": -5} }
		_, err = svc.Create(f.staff, e)
		require.ErrorIs(t, err, contactlog.ErrUnavailable)
		require.Equal(t, before, count())

		// A plugin that cannot answer: the write fails naming it; the stored
		// record stays readable.
		hooks.err = fmt.Errorf("plugins: fake: %w", contactlog.ErrUnavailable)
		_, err = svc.Create(f.staff, e)
		require.ErrorIs(t, err, contactlog.ErrUnavailable)
		require.ErrorContains(t, err, "fake")
		_, err = svc.Get(f.staff, r.ID)
		require.NoError(t, err)
	})
}
