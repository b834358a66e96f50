// Command kiroku-plugin-test serves package testplugin's plugin.
package main

import (
	"log"

	"github.com/kirokuhq/kiroku/plugins/internal/testplugin"
	"github.com/kirokuhq/kiroku/plugins/sdk/server"
)

func main() {
	if err := server.Serve(testplugin.Opts()); err != nil {
		log.Fatal(err)
	}
}
