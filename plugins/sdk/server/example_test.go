package server_test

import (
	"fmt"

	"github.com/kirokuhq/kiroku/plugins/sdk"
	"github.com/kirokuhq/kiroku/plugins/sdk/server"
)

// Serve refuses options the host would refuse, before serving anything; a
// plugin's main logs the error and exits.
func ExampleServe() {
	err := server.Serve(sdk.ServeOpts{Manifest: sdk.Manifest{
		Name:      "laundry",
		Templates: []sdk.Template{{Key: "laundry:pickup", Fields: []sdk.Field{{Key: "fee"}}, Computed: []string{"fee"}}},
	}})
	fmt.Println(err)
	// Output:
	// sdk: serve: plugin laundry: template laundry:pickup has computed fields but no computer
}
