// Command kiroku-plugin-misbehave serves package testplugin's Misbehaving
// plugin for the host's tests. Its name is its file name without
// "kiroku-plugin-" (the host gives it no environment to read a mode from);
// the copy named "vone" offers protocol version 1 in its handshake (as a
// plugin built with an SDK of that version would), which server.Serve
// cannot, so it joins the glue itself; a copy in a directory
// named "upgraded" serves testplugin.Upgraded.
package main

import (
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-plugin"

	"github.com/kirokuhq/kiroku/plugins/internal/glue"
	"github.com/kirokuhq/kiroku/plugins/internal/testplugin"
	"github.com/kirokuhq/kiroku/plugins/internal/wire"
	"github.com/kirokuhq/kiroku/plugins/sdk/server"
)

func main() {
	name := strings.TrimPrefix(filepath.Base(os.Args[0]), "kiroku-plugin-")
	opts := testplugin.Misbehaving(name)
	if filepath.Base(filepath.Dir(os.Args[0])) == "upgraded" {
		opts = testplugin.Upgraded(name)
	}
	if name != "vone" {
		if err := server.Serve(opts); err != nil {
			log.Fatal(err)
		}
		return
	}
	opts.Logger = slog.Default()
	s, err := wire.NewServer(opts)
	if err != nil {
		log.Fatal(err)
	}
	hs := glue.Handshake
	hs.ProtocolVersion = 1
	plugin.Serve(&plugin.ServeConfig{HandshakeConfig: hs, Plugins: glue.Set(s), GRPCServer: plugin.DefaultGRPCServer})
}
