package plugintest_test

import (
	"context"
	"testing"

	"github.com/kirokuhq/kiroku/plugins/plugintest"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

var opts = sdk.ServeOpts{
	Manifest: sdk.Manifest{Name: "laundry", Templates: []sdk.Template{{Key: "laundry:pickup"}}},
	Validator: sdk.ValidatorFunc(func(_ context.Context, records []sdk.Record) ([][]sdk.FieldProblem, error) {
		return make([][]sdk.FieldProblem, len(records)), nil
	}),
}

// testValidate is a vendor's test: the same calls work on a plugin served
// in-process and on the built binary.
func testValidate(t *testing.T) {
	for _, p := range []*plugintest.Plugin{
		plugintest.InProcess(t, opts),
		plugintest.Launch(t, plugintest.Build(t, "./cmd/kiroku-plugin-laundry")),
	} {
		problems, err := p.ValidateRecords(t.Context(), []sdk.Record{{ID: "r1", Template: "laundry:pickup"}})
		if err != nil || len(problems[0]) != 0 {
			t.Fatal(problems, err)
		}
		if err := p.Notify(t.Context(), "t1", sdk.Notification{}, nil); err == nil {
			t.Fatal("want sdk.ErrUnsupported: the plugin has no notifier")
		}
	}
}

// This whole file is the example: a vendor's test file, where testValidate
// is a TestXxx function.
func Example() {
	_ = testValidate
}
