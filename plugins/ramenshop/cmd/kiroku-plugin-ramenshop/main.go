// Command kiroku-plugin-ramenshop is the ramen-shop plugin (package
// ramenshop) as the binary a Kiroku host starts.
package main

import (
	"log"

	"github.com/kirokuhq/kiroku/plugins/ramenshop"
	"github.com/kirokuhq/kiroku/plugins/sdk/server"
)

func main() {
	if err := server.Serve(ramenshop.Opts()); err != nil {
		log.Fatal(err)
	}
}
