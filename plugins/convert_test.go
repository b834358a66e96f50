package plugins

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/contactlog/template"
	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/plugins/internal/wire"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

func TestProblemsFromAPI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		problems []sdk.FieldProblem
		want     []contactlog.FieldError
		wantErr  string
	}{
		{"at a field", []sdk.FieldProblem{{Field: "fields.minutes", Code: "out_of_range", Param: "..240"}}, []contactlog.FieldError{{Field: "fields.minutes", Code: "out_of_range", Param: "..240"}}, ""},
		{"none", nil, nil, ""},
		{"not a field", []sdk.FieldProblem{{Field: "customer", Code: "required"}}, nil, "record 1: problem \"customer\"/\"required\" is not at a template field"},
		{"no code", []sdk.FieldProblem{{Field: "fields.note"}}, nil, "record 1: problem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got contactlog.PluginResult
			err := problemsFromAPI(1, tc.problems, &got)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got.Problems)
		})
	}
}

func TestRecordsToAPI(t *testing.T) {
	t.Parallel()
	id, tenant, customer, u := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   contactlog.PluginRecord
		want sdk.Record
	}{
		{"new draft", contactlog.PluginRecord{Tenant: tenant, Template: "care:visit", TemplateVersion: 1, Values: map[string]any{"minutes": 30.0}},
			sdk.Record{Tenant: tenant.String(), Template: "care:visit", TemplateVersion: 1, Values: map[string]any{"minutes": 30.0}}},
		{"stored", contactlog.PluginRecord{ID: id, Tenant: tenant, Template: "care:visit", TemplateVersion: 2, Customer: customer, PlannedAt: at, ActualAt: at, Responders: []uuid.UUID{u}},
			sdk.Record{ID: id.String(), Tenant: tenant.String(), Template: "care:visit", TemplateVersion: 2, Customer: customer.String(), PlannedAt: at, ActualAt: at, Responders: []string{u.String()}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, []sdk.Record{tc.want}, recordsToAPI([]contactlog.PluginRecord{tc.in}))
		})
	}
}

func TestManifestFromAPI(t *testing.T) {
	t.Parallel()
	caps := wire.Capabilities{Compute: true}
	m, err := manifestFromAPI("care", sdk.Manifest{
		Name: "care", Version: "1.0.0",
		Templates: []sdk.Template{{
			Key: "care:visit", Name: "訪問", TaxRounding: "round", Computed: []string{"units"},
			Fields: []sdk.Field{
				{Key: "minutes", Label: "時間", Type: "duration", Min: new(0.0), Default: 30.0},
				{Key: "units", Label: "単位", Type: "integer"},
				{Key: "meals", Label: "食事", Type: "lines", Catalog: "menu"},
			},
			Aggregations: []sdk.Aggregation{{Key: "hours", Label: "時間計", Expr: "sum(.minutes)/60", Unit: "時間"}},
			Catalogs:     []sdk.Catalog{{Key: "menu", Name: "献立", Items: []sdk.CatalogItem{{Key: "lunch", Name: "昼食", UnitPrice: 500, TaxRate: 8}}}},
		}},
	}, caps)
	require.NoError(t, err)
	require.Equal(t, &manifest{version: "1.0.0", caps: caps, templates: []template.Template{{
		Key: "care:visit", Version: 1, Name: "訪問", TaxRounding: template.RoundHalfUp, Computed: []string{"units"},
		Fields: []template.Field{
			{Key: "minutes", Label: "時間", Type: template.FieldDuration, Min: template.Limit(0), Default: 30.0},
			{Key: "units", Label: "単位", Type: template.FieldInteger},
			{Key: "meals", Label: "食事", Type: template.FieldLines, Catalog: "menu"},
		},
		Aggregations: []template.Aggregation{{Key: "hours", Label: "時間計", Expr: "sum(.minutes)/60", Unit: "時間"}},
		Catalogs:     []template.Catalog{{Key: "menu", Name: "献立", Items: []template.CatalogItem{{Key: "lunch", Name: "昼食", UnitPrice: 500, TaxRate: 8}}}},
	}}}, m)

	// Event kinds count only with an event handler.
	kinds := []string{sdk.EventRecordCreated}
	m, err = manifestFromAPI("care", sdk.Manifest{Name: "care", EventKinds: kinds}, caps)
	require.NoError(t, err)
	require.Empty(t, m.events)
	m, err = manifestFromAPI("care", sdk.Manifest{Name: "care", EventKinds: kinds}, wire.Capabilities{Events: true})
	require.NoError(t, err)
	require.Equal(t, kinds, m.events)

	_, err = manifestFromAPI("care", sdk.Manifest{Name: "other"}, caps)
	require.ErrorContains(t, err, `names the plugin "other", not "care"`)

	// Master items of the record engine's kinds only; contributions kept.
	masters := []sdk.MasterItem{{Kind: "channel", Code: "care:home", Label: "居宅"}}
	fields := []sdk.CustomerField{{Key: "care:level", Label: "要介護度", Type: "select", Options: []string{"要支援1"}}}
	m, err = manifestFromAPI("care", sdk.Manifest{Name: "care", Masters: masters, CustomerFields: fields}, caps)
	require.NoError(t, err)
	require.Equal(t, masters, m.masters)
	require.Equal(t, fields, m.fields)
	_, err = manifestFromAPI("care", sdk.Manifest{Name: "care", Masters: []sdk.MasterItem{{Kind: "colour", Code: "care:red", Label: "赤"}}}, caps)
	require.ErrorContains(t, err, `master item care:red is of an unknown kind "colour"`)
}

// TestSDKCodes pins the SDK's field-problem codes to the engines' (a
// plugin's problems join the record engine's *ValidationError as they are).
func TestSDKCodes(t *testing.T) {
	t.Parallel()
	for sdkCode, engineCode := range map[string]string{
		sdk.CodeRequired:   validation.CodeRequired,
		sdk.CodeFormat:     validation.CodeFormat,
		sdk.CodeOutOfRange: validation.CodeOutOfRange,
		sdk.CodeUnknown:    validation.CodeUnknown,
		sdk.CodeNotAllowed: validation.CodeNotAllowed,
		sdk.CodeTooLong:    validation.CodeTooLong,
	} {
		require.Equal(t, engineCode, sdkCode)
	}
}
