package template_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/contactlog/template"
)

func careVisit(version int, label string) template.Template {
	return template.Template{
		Key: "careservice:visit", Version: version, Name: "訪問介護記録",
		Fields: []template.Field{
			{Key: "careservice:minutes", Label: label, Type: template.FieldDuration, Required: true},
			{Key: "careservice:services", Label: "サービス内容", Type: template.FieldMultiSelect,
				Options: []string{"身体介護", "生活援助", "通院等乗降介助"}},
		},
		Aggregations: []template.Aggregation{{Key: "minutes", Label: "提供時間合計", Expr: "sum(.careservice:minutes)", Unit: "分"}},
	}
}

func TestRegistryBuiltins(t *testing.T) {
	t.Parallel()
	ctx, tenant := context.Background(), uuid.New()
	r := template.NewRegistry(nil)

	d, err := r.Template(ctx, tenant, template.KeyDaily, 0)
	require.NoError(t, err)
	require.Equal(t, 1, d.Version)
	require.Equal(t, "日報", d.Name)
	d.Fields[0].Label = "changed" // a copy
	d2, err := r.Template(ctx, tenant, template.KeyDaily, 1)
	require.NoError(t, err)
	require.Equal(t, "作業時間", d2.Fields[0].Label)

	_, err = r.Template(ctx, tenant, template.KeyDaily, 2)
	require.ErrorIs(t, err, template.ErrNotFound)
	_, err = r.Template(ctx, tenant, "builtin:nope", 0)
	require.ErrorIs(t, err, template.ErrNotFound)
	_, err = r.Template(ctx, tenant, "tenant:visit", 0)
	require.ErrorIs(t, err, template.ErrNotFound)

	_, err = r.Template(ctx, tenant, "careservice:visit", 3)
	require.ErrorIs(t, err, template.ErrNotFound)
	require.Contains(t, err.Error(), "plugin careservice is not installed")

	all, err := r.Templates(ctx, tenant)
	require.NoError(t, err)
	require.Len(t, all, 6)
}

func TestRegistryPlugins(t *testing.T) {
	t.Parallel()
	ctx, tenant := context.Background(), uuid.New()
	r := template.NewRegistry(nil)
	src, err := template.Static("careservice", careVisit(1, "提供時間"), careVisit(2, "サービス提供時間"))
	require.NoError(t, err)
	require.NoError(t, r.Register("careservice", src))

	v1, err := r.Template(ctx, tenant, "careservice:visit", 1)
	require.NoError(t, err)
	require.Equal(t, "提供時間", v1.Fields[0].Label)
	latest, err := r.Template(ctx, tenant, "careservice:visit", 0)
	require.NoError(t, err)
	require.Equal(t, 2, latest.Version)

	all, err := r.Templates(ctx, tenant)
	require.NoError(t, err)
	require.Len(t, all, 7)
	require.Equal(t, "careservice:visit", all[6].Key)
	require.Equal(t, 2, all[6].Version)

	require.ErrorIs(t, r.Register("careservice", src), template.ErrConflict)
	require.ErrorIs(t, r.Register("builtin", src), template.ErrConflict)
	require.ErrorIs(t, r.Register("tenant", src), template.ErrConflict)
	require.ErrorIs(t, r.Register("Care Service", src), template.ErrInvalid)

	// A plugin that was removed: its records' templates are not found, with
	// a message naming it.
	r.Unregister("careservice")
	_, err = r.Template(ctx, tenant, "careservice:visit", 1)
	require.ErrorIs(t, err, template.ErrNotFound)
	require.Contains(t, err.Error(), "careservice is not installed")
}

func TestStaticRefusesBadTemplates(t *testing.T) {
	t.Parallel()
	_, err := template.Static("ramenshop", careVisit(1, "x"))
	require.ErrorIs(t, err, template.ErrInvalid)
	_, err = template.Static("careservice", careVisit(1, "x"), careVisit(1, "y"))
	require.ErrorIs(t, err, template.ErrConflict)
	_, err = template.Static("careservice", careVisit(0, "x"))
	require.ErrorIs(t, err, template.ErrInvalid)
	bad := careVisit(1, "x")
	bad.Aggregations[0].Expr = "sum(.minutes)"
	_, err = template.Static("careservice", bad)
	require.ErrorIs(t, err, template.ErrInvalid)
}

type downSource struct{}

func (downSource) Templates(context.Context, uuid.UUID) ([]template.Template, error) {
	return nil, errors.New("plugin unavailable")
}

func (downSource) Template(context.Context, uuid.UUID, string, int) (*template.Template, error) {
	return nil, errors.New("plugin unavailable")
}

func TestRegistryPluginDown(t *testing.T) {
	t.Parallel()
	ctx, tenant := context.Background(), uuid.New()
	r := template.NewRegistry(nil)
	require.NoError(t, r.Register("ramenshop", downSource{}))
	all, err := r.Templates(ctx, tenant)
	require.Error(t, err)
	require.Contains(t, err.Error(), "plugin ramenshop")
	require.Len(t, all, 6) // the built-ins are still there
	_, err = r.Template(ctx, tenant, "ramenshop:order", 1)
	require.Error(t, err)
}
