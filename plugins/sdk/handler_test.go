package sdk

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	valid := func() ServeOpts {
		return ServeOpts{
			Manifest: Manifest{
				Name:           "ramen2",
				Templates:      []Template{{Key: "ramen2:order", Fields: []Field{{Key: "total"}}, Computed: []string{"total"}}},
				Masters:        []MasterItem{{Kind: "channel", Code: "ramen2:shop"}, {Kind: "result", Code: "ramen2:shop"}},
				CustomerFields: []CustomerField{{Key: "ramen2:regular"}},
				EventKinds:     []string{EventRecordCreated},
			},
			Computer:     ComputerFunc(func(context.Context, []Record) ([]map[string]any, error) { return nil, nil }),
			EventHandler: EventHandlerFunc(func(context.Context, Event) (EventResult, error) { return EventResult{}, nil }),
		}
	}
	require.NoError(t, valid().Check())
	for name, tc := range map[string]struct {
		edit func(o *ServeOpts)
		err  string
	}{
		"empty name":   {func(o *ServeOpts) { o.Manifest.Name = "" }, `plugin "": name must be lower-case ASCII letters and digits`},
		"upper name":   {func(o *ServeOpts) { o.Manifest.Name = "Ramen" }, `plugin "Ramen": name must be lower-case ASCII letters and digits`},
		"template key": {func(o *ServeOpts) { o.Manifest.Templates[0].Key = "order" }, `plugin ramen2: template "order" is not namespaced "ramen2:…"`},
		"bare prefix":  {func(o *ServeOpts) { o.Manifest.Templates[0].Key = "ramen2:" }, `plugin ramen2: template "ramen2:" is not namespaced "ramen2:…"`},
		"other prefix": {func(o *ServeOpts) { o.Manifest.Templates[0].Key = "ramen:order" }, `plugin ramen2: template "ramen:order" is not namespaced "ramen2:…"`},
		"repeated template": {func(o *ServeOpts) {
			o.Manifest.Templates = append(o.Manifest.Templates, o.Manifest.Templates[0])
		}, `plugin ramen2: template "ramen2:order" is repeated`},
		"repeated field": {func(o *ServeOpts) {
			o.Manifest.Templates[0].Fields = append(o.Manifest.Templates[0].Fields, Field{Key: "total"})
		}, `plugin ramen2: template ramen2:order: field key "total" is empty or repeated`},
		"computed not a field": {func(o *ServeOpts) { o.Manifest.Templates[0].Computed = []string{"tax"} },
			`plugin ramen2: template ramen2:order: computed field "tax" is not a field`},
		"master code": {func(o *ServeOpts) { o.Manifest.Masters[0].Code = "shop" }, `plugin ramen2: master item channel "shop" is not namespaced "ramen2:…"`},
		"repeated master": {func(o *ServeOpts) { o.Manifest.Masters[1].Kind = "channel" },
			`plugin ramen2: master item channel "ramen2:shop" is repeated`},
		"customer field":    {func(o *ServeOpts) { o.Manifest.CustomerFields[0].Key = "regular" }, `plugin ramen2: customer field "regular" is not namespaced "ramen2:…"`},
		"event kind":        {func(o *ServeOpts) { o.Manifest.EventKinds = []string{"record.moved"} }, `plugin ramen2: unknown event kind "record.moved"`},
		"kinds, no handler": {func(o *ServeOpts) { o.EventHandler = nil }, "plugin ramen2: event kinds and an event handler go together"},
		"handler, no kinds": {func(o *ServeOpts) { o.Manifest.EventKinds = nil }, "plugin ramen2: event kinds and an event handler go together"},
		"computed, no computer": {func(o *ServeOpts) { o.Computer = nil },
			"plugin ramen2: template ramen2:order has computed fields but no computer"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o := valid()
			tc.edit(&o)
			require.EqualError(t, o.Check(), tc.err)
		})
	}
}

func TestValidateEachComputeEach(t *testing.T) {
	t.Parallel()
	records := []Record{{Template: "x:a", Values: map[string]any{"n": 1.0}}, {Template: "x:other"}, {Template: "x:b", Values: map[string]any{"n": 2.0}}}
	v := ValidateEach(func(r Record) []FieldProblem {
		return []FieldProblem{{Field: "fields.n", Code: "out_of_range", Param: fmt.Sprint(r.Values["n"])}}
	}, "x:a", "x:b")
	got, err := v.ValidateRecords(context.Background(), records)
	require.NoError(t, err)
	require.Equal(t, [][]FieldProblem{{{Field: "fields.n", Code: "out_of_range", Param: "1"}}, nil, {{Field: "fields.n", Code: "out_of_range", Param: "2"}}}, got)

	c := ComputeEach(func(r Record) map[string]any {
		if r.Values["n"] == 2.0 {
			return nil
		}
		return map[string]any{"double": r.Values["n"].(float64) * 2}
	}, "x:a", "x:b")
	vals, err := c.ComputeRecords(context.Background(), records)
	require.NoError(t, err)
	require.Equal(t, []map[string]any{{"double": 2.0}, {}, {}}, vals)
}
