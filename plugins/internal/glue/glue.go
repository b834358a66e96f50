// Package glue joins the plugin protocol (package kirokupluginv2) to
// hashicorp/go-plugin for both sides: the handshake both must agree on, and
// the go-plugin Plugin that serves a kirokupluginv2.PluginServer in the
// plugin process and hands the host a kirokupluginv2.PluginClient.
package glue

import (
	"context"
	"os/exec"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	kirokupluginv2 "github.com/kirokuhq/kiroku/plugins/proto/kirokuplugin/v2"
)

// ProtocolVersion is the protocol's major version: the handshake's
// ProtocolVersion and the v2 of the proto package. Peers of different
// majors refuse each other at start. Version 1 (before CheckRecords and
// values as JSON text) is no longer served.
const ProtocolVersion = 2

// Name is the key of Kiroku's plugin in go-plugin's plugin sets.
const Name = "kiroku"

// Handshake is the handshake both sides use. The magic cookie only tells a
// plugin binary started by hand that it must be started by Kiroku; it is
// not a secret, and it stays the same across protocol versions so that a
// plugin of another version gets as far as the version check, which names
// both versions.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "KIROKU_PLUGIN",
	MagicCookieValue: "d6a3f0b8-kiroku-plugin-v1",
}

// Plugin is the go-plugin Plugin of the protocol: Impl is set in the
// plugin process, and the host receives a kirokupluginv2.PluginClient.
type Plugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl kirokupluginv2.PluginServer
}

var _ plugin.GRPCPlugin = (*Plugin)(nil)

// GRPCServer registers the plugin's server (plugin process side).
func (p *Plugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	kirokupluginv2.RegisterPluginServer(s, p.Impl)
	return nil
}

// GRPCClient returns the client of the plugin (host side).
func (p *Plugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return kirokupluginv2.NewPluginClient(c), nil
}

// Set is the plugin set of one side; server is nil on the host.
func Set(server kirokupluginv2.PluginServer) plugin.PluginSet {
	return plugin.PluginSet{Name: &Plugin{Impl: server}}
}

// ClientConfig is how the host (and plugintest) start a plugin binary:
// this protocol's handshake over gRPC only, automatic mutual TLS, and an
// environment holding nothing but go-plugin's handshake variables (cmd's
// own environment is replaced). Callers add StartTimeout as they need.
func ClientConfig(cmd *exec.Cmd, logger hclog.Logger) *plugin.ClientConfig {
	cmd.Env = []string{}
	return &plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          Set(nil),
		Cmd:              cmd,
		SkipHostEnv:      true,
		AutoMTLS:         true,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           logger,
	}
}
