package plugins

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/kirokuhq/kiroku/contactlog"
	kirokupluginv1 "github.com/kirokuhq/kiroku/plugins/proto/kirokuplugin/v1"
)

func TestProblemsFromProto(t *testing.T) {
	t.Parallel()
	ok := &kirokupluginv1.RecordProblems{Problems: []*kirokupluginv1.FieldProblem{{Field: "fields.minutes", Code: "out_of_range", Param: "..240"}}}
	tests := []struct {
		name    string
		results []*kirokupluginv1.RecordProblems
		n       int
		want    [][]contactlog.FieldError
		wantErr string
	}{
		{"one per record", []*kirokupluginv1.RecordProblems{ok, {}}, 2, [][]contactlog.FieldError{{{Field: "fields.minutes", Code: "out_of_range", Param: "..240"}}, nil}, ""},
		{"too few", []*kirokupluginv1.RecordProblems{ok}, 2, nil, "1 validation results for 2 records"},
		{"not a field", []*kirokupluginv1.RecordProblems{{Problems: []*kirokupluginv1.FieldProblem{{Field: "customer", Code: "required"}}}}, 1, nil, "not at a template field"},
		{"no code", []*kirokupluginv1.RecordProblems{{Problems: []*kirokupluginv1.FieldProblem{{Field: "fields.note"}}}}, 1, nil, "with a code"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := problemsFromProto(tc.results, tc.n)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestComputedFromProto(t *testing.T) {
	t.Parallel()
	st, err := structpb.NewStruct(map[string]any{"units": 3.0})
	require.NoError(t, err)
	got, err := computedFromProto([]*structpb.Struct{st}, 1)
	require.NoError(t, err)
	require.Equal(t, []map[string]any{{"units": 3.0}}, got)
	_, err = computedFromProto([]*structpb.Struct{st}, 2)
	require.ErrorContains(t, err, "1 computed results for 2 records")
}

func TestManifestFromProto(t *testing.T) {
	t.Parallel()
	m, err := manifestFromProto("care", &kirokupluginv1.Manifest{
		Name: "care", Version: "1.0.0", Capabilities: []kirokupluginv1.Capability{kirokupluginv1.Capability_CAPABILITY_COMPUTE},
		Templates: []*kirokupluginv1.Template{{Key: "care:visit", Name: "訪問", Fields: []*kirokupluginv1.Field{
			{Key: "minutes", Label: "時間", Type: "duration", Min: new(0.0), Default: structpb.NewNumberValue(30)},
		}}},
	})
	require.NoError(t, err)
	require.True(t, m.compute)
	require.False(t, m.validate)
	require.Equal(t, 1, m.templates[0].Version)
	require.InDelta(t, 0, *m.templates[0].Fields[0].Min, 0)
	require.Nil(t, m.templates[0].Fields[0].Max)
	require.InDelta(t, 30, m.templates[0].Fields[0].Default, 0)

	for name, bad := range map[string]*kirokupluginv1.Manifest{
		"names the plugin": {Name: "other"},
		"capability":       {Name: "care", Capabilities: []kirokupluginv1.Capability{99}},
		"namespace":        {Name: "care", CustomerFields: []*kirokupluginv1.CustomerField{{Key: "level"}}},
	} {
		_, err := manifestFromProto("care", bad)
		require.ErrorContains(t, err, name)
	}
}
