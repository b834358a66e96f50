package plugintest_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/kirokuhq/kiroku/plugins/plugintest"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// A plugin served in-process is called the way the host calls it: over
// gRPC, with the SDK's checks of what it answers. In a test, InProcess(t,
// opts) does the same and stops the plugin when the test ends; Launch(t,
// Build(t, "./cmd/kiroku-plugin-laundry")) calls the binary you ship.
func Example() {
	opts := sdk.ServeOpts{
		Manifest: sdk.Manifest{Name: "laundry", Templates: []sdk.Template{{
			Key:    "laundry:pickup",
			Fields: []sdk.Field{{Key: "bags", Type: "integer"}},
		}}},
		Validator: sdk.ValidateEach(func(r sdk.Record) []sdk.FieldProblem {
			if _, ok := r.Values["bags"]; !ok {
				return []sdk.FieldProblem{{Field: "fields.bags", Code: "required"}}
			}
			return nil
		}, "laundry:pickup"),
	}
	p, err := plugintest.Start(opts)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	ctx := context.Background()
	problems, err := p.ValidateRecords(ctx, []sdk.Record{
		{ID: "r1", Template: "laundry:pickup", Values: map[string]any{"bags": 2}},
		{ID: "r2", Template: "laundry:pickup"},
	})
	fmt.Println(problems, err)
	// The plugin has no notifier.
	err = p.Notify(ctx, "t1", sdk.Notification{Recipients: []string{"u1"}}, nil)
	fmt.Println(errors.Is(err, sdk.ErrUnsupported))
	// Output:
	// [[] [{fields.bags required }]] <nil>
	// true
}
