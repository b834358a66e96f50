package wire

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/kirokuhq/kiroku/plugins/internal/testplugin"
	pb "github.com/kirokuhq/kiroku/plugins/proto/kirokuplugin/v2"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// BenchmarkCheckRecords100 validates and computes a batch of 100 records
// through both sides of the protocol in one process (an in-memory gRPC
// connection), so that one profile shows the client's and the server's
// costs; plugins' BenchmarkValidateCompute100 measures a real process.
func BenchmarkCheckRecords100(b *testing.B) {
	opts := testplugin.Misbehaving("visit")
	opts.Logger = slog.New(slog.DiscardHandler)
	srv, err := NewServer(opts)
	if err != nil {
		b.Fatal(err)
	}
	lis := bufconn.Listen(1 << 20)
	gs := grpc.NewServer()
	pb.RegisterPluginServer(gs, srv)
	go func() { _ = gs.Serve(lis) }()
	defer gs.Stop()
	conn, err := grpc.NewClient("passthrough:///bench",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	c := NewClient(pb.NewPluginClient(conn))
	records := make([]sdk.Record, 100)
	for i := range records {
		records[i] = sdk.Record{
			ID: "01a248a8-3937-7a93-bd22-6ba8ca0760f0", Tenant: "01a248a8-38b6-7a0d-be10-8e2a9f412440",
			Template: "visit:log", TemplateVersion: 1, ActualAt: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC),
			Values: map[string]any{"minutes": float64(i), "note": "入浴介助"},
		}
	}
	ctx := context.Background()
	for b.Loop() {
		results, err := c.CheckRecords(ctx, records, true, true)
		if err != nil || len(results) != len(records) || results[99].Computed["units"] != 4.0 {
			b.Fatal(err, results)
		}
	}
}
