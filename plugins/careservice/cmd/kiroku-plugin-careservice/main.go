// Command kiroku-plugin-careservice is the 訪問介護 plugin (package
// careservice) as the binary a Kiroku host starts.
package main

import (
	"log"

	"github.com/kirokuhq/kiroku/plugins/careservice"
	"github.com/kirokuhq/kiroku/plugins/sdk/server"
)

func main() {
	if err := server.Serve(careservice.Opts()); err != nil {
		log.Fatal(err)
	}
}
