// Package server serves a plugin's sdk.ServeOpts to the Kiroku host that
// started the process: a plugin's main calls Serve and nothing else.
//
//	func main() {
//		if err := server.Serve(sdk.ServeOpts{Manifest: manifest, Validator: sdk.ValidatorFunc(validate)}); err != nil {
//			log.Fatal(err)
//		}
//	}
//
// It is apart from package sdk, which defines the types, so that the
// protocol's converters can use those types without an import cycle.
package server

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/hashicorp/go-plugin"

	"github.com/kirokuhq/kiroku/plugins/internal/glue"
	"github.com/kirokuhq/kiroku/plugins/internal/wire"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// Serve checks opts (sdk.ServeOpts.Check) and serves them over gRPC to the
// Kiroku host that started the process, until the host stops it. It
// returns the check's error without serving; a process not started by a
// Kiroku host prints so and exits with status 1. A nil opts.Logger writes
// JSON lines to stderr, which the host logs at their level with the
// plugin's name.
func Serve(opts sdk.ServeOpts) error {
	if opts.Logger == nil {
		opts.Logger = defaultLogger()
	}
	s, err := wire.NewServer(opts)
	if err != nil {
		return fmt.Errorf("sdk: serve: %w", err)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: glue.Handshake,
		Plugins:         glue.Set(s),
		GRPCServer:      plugin.DefaultGRPCServer,
	})
	return nil
}

// hclogTime is the timestamp layout the host's log parser reads.
const hclogTime = "2006-01-02T15:04:05.000000Z07:00"

// defaultLogger writes JSON lines to stderr with the keys the host's log
// parser reads (@timestamp, @level, @message), so that the host logs them
// at their level with their attributes.
func defaultLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				return slog.String("@timestamp", a.Value.Time().Format(hclogTime))
			case slog.LevelKey:
				return slog.String("@level", strings.ToLower(a.Value.String()))
			case slog.MessageKey:
				a.Key = "@message"
			}
			return a
		},
	}))
}
