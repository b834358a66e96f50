// Package sdk is what a plugin vendor imports to extend Kiroku for an
// industry: templates, masters, catalogs and customer fields (the
// Manifest), and hooks that validate and compute records, react to events
// and deliver notifications. A plugin is a separate executable that the
// Kiroku host starts and talks to over gRPC (hashicorp/go-plugin). The SDK
// imports no Kiroku engine package; everything a plugin sees is a type of
// this package, with its fields documented here.
//
// # Write
//
// A plugin is a main package that calls Serve of package
// plugins/sdk/server with its ServeOpts:
//
//	func main() {
//		if err := server.Serve(sdk.ServeOpts{
//			Manifest:  manifest,
//			Validator: sdk.ValidatorFunc(validate),
//			Computer:  sdk.ComputerFunc(compute),
//		}); err != nil {
//			log.Fatal(err)
//		}
//	}
//
// Each capability is one handler with one method, and a Func adapter for
// plain functions: Validator, Computer, EventHandler, Notifier. Leave a
// handler nil and the plugin does not have that capability: the host is
// told so and never relies on it. Validate and compute take batches (a call
// costs about 0.15 ms, so the host never calls once per record) and must
// answer exactly one result per record, in order. The host validates and
// computes in one call: the Computer receives the records of templates with
// computed fields that the Validator found no problem with. A handler's error fails
// its call; a panic is recovered and fails the call too, and the plugin
// keeps serving. Handlers run concurrently and must honor ctx, which
// carries the host's deadline.
//
// The manifest's Name is the plugin's namespace (lower-case ASCII letters
// and digits), and every template key, master item code and customer field
// key is "<name>:<key>", for example "careservice:visit". Keep keys stable
// across versions: stored records and template versions point at them, so a
// reinstalled or upgraded plugin finds its data again. ServeOpts.Check
// (and Manifest.Check) tell what Serve refuses.
//
// Values reach handlers in their JSON form: string, float64 for every
// number, bool, nil, []any and map[string]any (they travel as JSON text);
// times are UTC, zero when unset. Computed values are returned in the same
// form (Go integers, and whatever else encoding/json encodes, are
// accepted); NaN and infinities are refused.
//
// Log with ServeOpts.Logger; by default the SDK writes JSON lines to
// stderr, which the host logs at their level with the plugin's name.
// Anything else a plugin writes to stdout or stderr is not for users.
//
// # Build
//
// Name the binary kiroku-plugin-<name>:
//
//	go build -o kiroku-plugin-careservice ./cmd/kiroku-plugin-careservice
//
// # Test
//
// Package plugintest calls a plugin the way the host does: in-process over
// real gRPC for fast unit tests (plugintest.InProcess, or plugintest.Start
// outside a test), or as a real process (plugintest.Build and
// plugintest.Launch) to test the binary you ship.
//
// # Install
//
// Put the binary in the host's plugin directory (or name it in the host's
// explicit plugin list). The host may pin the binary's SHA-256
// (sha256sum kiroku-plugin-careservice) and refuses a binary that does not
// match. Each tenant's administrator then installs the plugin for the
// tenant (and may uninstall it): a plugin only ever sees the records,
// customers, events, timers and notifications of tenants that installed
// it, and Event.Tenant, Record.Tenant and Notifier's tenant name one of
// them. The host starts the plugin with an empty environment: a plugin
// gets its own settings from its own files, never from the host's
// environment. A binary started by hand, not by a host, exits with a
// message.
//
// # Protocol and versions
//
// The protocol's major version (2) is part of the handshake: a host and a
// plugin of different majors refuse each other at start with an error that
// names both versions; rebuild the plugin with the host's SDK (this
// package's Go API did not change from version 1 to 2, only the wire).
// Within a major version the protocol only grows: a newer host serves
// older plugins, and capabilities added later are optional, so a plugin
// built with an older SDK simply lacks them. Bump Manifest.Version with
// each release; the host shows it.
package sdk
