package sdk_test

import (
	"context"
	"fmt"

	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// A validator checks a batch of records and answers one list of problems
// per record, in order; records of other templates have none.
func ExampleValidateEach() {
	v := sdk.ValidateEach(func(r sdk.Record) []sdk.FieldProblem {
		if bags, _ := r.Values["bags"].(float64); bags > 10 {
			return []sdk.FieldProblem{{Field: "fields.bags", Code: "out_of_range", Param: "..10"}}
		}
		return nil
	}, "laundry:pickup")
	problems, err := v.ValidateRecords(context.Background(), []sdk.Record{
		{Template: "laundry:pickup", Values: map[string]any{"bags": 3.0}},
		{Template: "laundry:pickup", Values: map[string]any{"bags": 12.0}},
		{Template: "laundry:return", Values: map[string]any{"bags": 12.0}},
	})
	fmt.Println(problems, err)
	// Output:
	// [[] [{fields.bags out_of_range ..10}] []] <nil>
}

func ExampleServeOpts_Check() {
	opts := sdk.ServeOpts{Manifest: sdk.Manifest{
		Name:      "laundry",
		Templates: []sdk.Template{{Key: "pickup"}},
	}}
	fmt.Println(opts.Check())
	opts.Manifest.Templates[0].Key = "laundry:pickup"
	fmt.Println(opts.Check())
	// Output:
	// plugin laundry: template "pickup" is not namespaced "laundry:…"
	// <nil>
}
