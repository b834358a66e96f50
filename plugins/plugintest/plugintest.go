// Package plugintest lets a plugin vendor test a plugin the way Kiroku calls
// it: in-process over real gRPC (InProcess: fast, for unit tests), or as a
// real process started like the host starts it (Build and Launch: handshake,
// AutoMTLS, no inherited environment). Both give a Plugin to call in sdk
// types; calls of an absent capability fail with sdk.ErrUnsupported, and
// the process or server is stopped by t.Cleanup. Start serves in-process
// without a test, for examples and tools; Close stops it.
//
//	func TestOrder(t *testing.T) {
//		p := plugintest.Launch(t, plugintest.Build(t, "./cmd/kiroku-plugin-ramen"))
//		problems, err := p.ValidateRecords(t.Context(), []sdk.Record{…})
//		…
//	}
package plugintest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os/exec"
	"path"
	"path/filepath"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/kirokuhq/kiroku/plugins/internal/glue"
	"github.com/kirokuhq/kiroku/plugins/internal/wire"
	pb "github.com/kirokuhq/kiroku/plugins/proto/kirokuplugin/v2"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// Plugin is a served plugin, called as the host calls it. Errors of calls
// wrap sdk.ErrUnsupported for an absent capability and the gRPC status
// otherwise; a result that does not match the request (a batch of the
// wrong length, an invalid manifest) is an error too.
type Plugin struct {
	c     *wire.Client
	close func()
}

// Close stops the plugin: its in-process server or its process. Calls
// after Close fail.
func (p *Plugin) Close() {
	p.close()
}

// Manifest returns the plugin's manifest, checked as the host checks it.
func (p *Plugin) Manifest(ctx context.Context) (sdk.Manifest, error) {
	m, _, err := p.c.Manifest(ctx, "plugintest")
	return m, err
}

// ValidateRecords validates a batch: one slice of problems per record.
func (p *Plugin) ValidateRecords(ctx context.Context, records []sdk.Record) ([][]sdk.FieldProblem, error) {
	return p.c.ValidateRecords(ctx, records)
}

// ComputeRecords computes a batch: one map of computed values per record.
func (p *Plugin) ComputeRecords(ctx context.Context, records []sdk.Record) ([]map[string]any, error) {
	return p.c.ComputeRecords(ctx, records)
}

// HandleEvent delivers an event and returns the plugin's notifications and
// timers.
func (p *Plugin) HandleEvent(ctx context.Context, e sdk.Event) (sdk.EventResult, error) {
	return p.c.HandleEvent(ctx, e)
}

// Notify delivers a notification through the plugin's channel.
func (p *Plugin) Notify(ctx context.Context, tenant string, n sdk.Notification, addresses map[string]string) error {
	return p.c.Notify(ctx, tenant, n, addresses)
}

// Start serves opts in this process over real gRPC (an in-memory
// connection, the protocol's codecs and checks) and returns the plugin;
// Close stops it. It fails if server.Serve would refuse opts. A nil
// opts.Logger discards the SDK's logs.
func Start(opts sdk.ServeOpts) (*Plugin, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	impl, err := wire.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("plugintest: %w", err)
	}
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	pb.RegisterPluginServer(srv, impl)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(lis)
	}()
	conn, err := grpc.NewClient("passthrough:///plugintest",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		srv.Stop()
		<-served
		return nil, fmt.Errorf("plugintest: %w", err)
	}
	return &Plugin{c: wire.NewClient(pb.NewPluginClient(conn)), close: func() {
		_ = conn.Close()
		srv.Stop()
		<-served
	}}, nil
}

// InProcess is Start for a test: it fails the test if Start fails, logs
// to the test's output when opts.Logger is nil, and stops the plugin when
// the test ends.
func InProcess(t testing.TB, opts sdk.ServeOpts) *Plugin {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	}
	p, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// Build compiles the main package pkg (a path as go build takes it,
// relative to the test's directory or an import path) into a temporary
// directory as kiroku-plugin-<last element of pkg> and returns the binary's
// path.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("plugintest: build %s: %v", pkg, err)
	}
	bin := filepath.Join(t.TempDir(), "kiroku-plugin-"+path.Base(filepath.ToSlash(pkg)))
	out, err := exec.CommandContext(t.Context(), gotool, "build", "-o", bin, pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("plugintest: build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// Launch starts the plugin binary as the host does (go-plugin handshake,
// gRPC, AutoMTLS, an empty environment) and returns the plugin; t.Cleanup
// kills the process. The plugin's logs go to the test's output.
func Launch(t testing.TB, binary string) *Plugin {
	t.Helper()
	client := plugin.NewClient(glue.ClientConfig(exec.Command(binary), hclog.New(&hclog.LoggerOptions{
		Name:   filepath.Base(binary),
		Output: t.Output(),
		Level:  hclog.Info,
	})))
	t.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("plugintest: launch %s: %v", binary, err)
	}
	wc, err := wire.Dispense(rpc)
	if err != nil {
		t.Fatalf("plugintest: %v", err)
	}
	return &Plugin{c: wc, close: client.Kill}
}
