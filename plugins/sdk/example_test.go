package sdk_test

import (
	"context"
	"fmt"
	"log"

	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// A plugin's main: a manifest and the handlers of the capabilities it has.
func ExampleServe() {
	manifest := sdk.Manifest{
		Name:    "laundry",
		Version: "1.0.0",
		Templates: []sdk.Template{{
			Key:  "laundry:pickup",
			Name: "集荷",
			Fields: []sdk.Field{
				{Key: "bags", Label: "袋数", Type: "integer", Required: true},
				{Key: "fee", Label: "料金", Type: "money"},
			},
			Computed: []string{"fee"},
		}},
	}
	compute := func(_ context.Context, records []sdk.Record) ([]map[string]any, error) {
		out := make([]map[string]any, len(records))
		for i, r := range records {
			bags, _ := r.Values["bags"].(float64)
			out[i] = map[string]any{"fee": 500 * bags}
		}
		return out, nil
	}
	if err := sdk.Serve(sdk.ServeOpts{Manifest: manifest, Computer: sdk.ComputerFunc(compute)}); err != nil {
		log.Fatal(err)
	}
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
