package plugintest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/kirokuhq/kiroku/plugins/internal/testplugin"
	"github.com/kirokuhq/kiroku/plugins/plugintest"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// modes start testplugin in-process and as a real process.
var modes = map[string]func(t *testing.T) *plugintest.Plugin{
	"in-process": func(t *testing.T) *plugintest.Plugin {
		return plugintest.InProcess(t, testplugin.Opts())
	},
	"process": func(t *testing.T) *plugintest.Plugin {
		return plugintest.Launch(t, plugintest.Build(t, "../internal/testplugin/cmd/kiroku-plugin-test"))
	},
}

func order(id string, values map[string]any) sdk.Record {
	return sdk.Record{ID: id, Tenant: "t1", Template: "test:order", TemplateVersion: 1, Values: values}
}

func TestPlugin(t *testing.T) {
	t.Parallel()
	for name, start := range modes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := start(t)
			ctx := t.Context()

			t.Run("manifest", func(t *testing.T) {
				m, err := p.Manifest(ctx)
				require.NoError(t, err)
				require.Equal(t, testplugin.Opts().Manifest, m)
			})
			t.Run("validate", func(t *testing.T) {
				problems, err := p.ValidateRecords(ctx, []sdk.Record{
					order("r1", map[string]any{"qty": 2}),
					order("r2", map[string]any{}),
				})
				require.NoError(t, err)
				require.Equal(t, [][]sdk.FieldProblem{nil, {{Field: "fields.qty", Code: "required"}}}, problems)
			})
			t.Run("compute", func(t *testing.T) {
				values, err := p.ComputeRecords(ctx, []sdk.Record{
					order("r1", map[string]any{"qty": 2}),
					order("r2", map[string]any{"qty": 0.5}),
				})
				require.NoError(t, err)
				require.Equal(t, []map[string]any{{"total": 200.0}, {"total": 50.0}}, values)
			})
			t.Run("event", func(t *testing.T) {
				r := order("r1", map[string]any{"qty": 1})
				res, err := p.HandleEvent(ctx, sdk.Event{
					ID: "e1", Kind: sdk.EventRecordCreated, Tenant: "t1",
					At:       time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC),
					Record:   &r,
					Customer: &sdk.Customer{ID: "c1", Name: "山田", Assignees: []string{"u1", "u2"}},
				})
				require.NoError(t, err)
				require.Equal(t, []sdk.Notification{{
					Recipients: []string{"u1", "u2"}, Subject: "山田様の記録", Body: "記録 r1 が作成されました", Key: "e1",
				}}, res.Notifications)
			})
			t.Run("notify", func(t *testing.T) {
				require.NoError(t, p.Notify(ctx, "t1", sdk.Notification{Recipients: []string{"u1"}, Subject: "s"}, map[string]string{"u1": "u1@example.jp"}))
				err := p.Notify(ctx, "t1", sdk.Notification{Recipients: []string{"u1"}, Subject: "fail"}, nil)
				require.ErrorContains(t, err, "asked to fail")
			})
			t.Run("handler error", func(t *testing.T) {
				_, err := p.ValidateRecords(ctx, []sdk.Record{order("r1", map[string]any{"fail": true})})
				require.ErrorContains(t, err, "asked to fail")
				require.Equal(t, codes.Unknown, status.Code(err))
			})
			t.Run("panic", func(t *testing.T) {
				_, err := p.ComputeRecords(ctx, []sdk.Record{order("r1", map[string]any{"panic": true})})
				require.ErrorContains(t, err, "handler panicked: asked to panic")
				require.Equal(t, codes.Internal, status.Code(err))
				// The plugin survives its handler's panic.
				_, err = p.ComputeRecords(ctx, []sdk.Record{order("r1", map[string]any{"qty": 1})})
				require.NoError(t, err)
			})
			t.Run("wrong batch length", func(t *testing.T) {
				records := []sdk.Record{order("r1", map[string]any{"short": true}), order("r2", nil)}
				_, err := p.ValidateRecords(ctx, records)
				require.ErrorContains(t, err, "validator returned 1 results for 2 records")
				_, err = p.ComputeRecords(ctx, records)
				require.ErrorContains(t, err, "computer returned 1 results for 2 records")
				require.Equal(t, codes.Internal, status.Code(err))
			})
			t.Run("stray computed key", func(t *testing.T) {
				_, err := p.ComputeRecords(ctx, []sdk.Record{order("r1", map[string]any{"qty": 1, "stray": true})})
				require.ErrorContains(t, err, `record r1: "qty" is not a computed field of template test:order`)
				require.Equal(t, codes.Internal, status.Code(err))
			})
			t.Run("invalid value", func(t *testing.T) {
				_, err := p.ValidateRecords(ctx, []sdk.Record{order("r1", map[string]any{"qty": func() {}})})
				require.ErrorContains(t, err, "record r1")
			})
			t.Run("canceled", func(t *testing.T) {
				ctx, cancel := context.WithCancel(ctx)
				cancel()
				_, err := p.ValidateRecords(ctx, []sdk.Record{order("r1", nil)})
				require.Equal(t, codes.Canceled, status.Code(err))
			})
		})
	}
}

func TestStartClose(t *testing.T) {
	t.Parallel()
	_, err := plugintest.Start(sdk.ServeOpts{Manifest: sdk.Manifest{Name: "Test"}})
	require.EqualError(t, err, `plugintest: plugin "Test": name must be lower-case ASCII letters and digits`)

	p, err := plugintest.Start(testplugin.Opts())
	require.NoError(t, err)
	_, err = p.Manifest(t.Context())
	require.NoError(t, err)
	p.Close()
	_, err = p.Manifest(t.Context())
	require.Error(t, err)
}
