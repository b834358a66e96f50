package wire

import (
	"context"
	"fmt"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/kirokuhq/kiroku/plugins/internal/glue"
	pb "github.com/kirokuhq/kiroku/plugins/proto/kirokuplugin/v2"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// Client calls a plugin in Go-native types. Errors wrap
// sdk.ErrUnsupported when the plugin does not have the capability,
// and otherwise the call's gRPC status (status.FromError finds it); results
// that do not match the request (a wrong batch length, an invalid manifest)
// are errors too.
type Client struct {
	c pb.PluginClient
}

// NewClient returns the Go-native client of c.
func NewClient(c pb.PluginClient) *Client {
	return &Client{c: c}
}

func callError(op string, err error) error {
	if status.Code(err) == codes.Unimplemented {
		return fmt.Errorf("plugin: %s: %w", op, sdk.ErrUnsupported)
	}
	return fmt.Errorf("plugin: %s: %w", op, err)
}

// Manifest returns the plugin's manifest, checked with
// sdk.Manifest.Check, and its capabilities.
func (c *Client) Manifest(ctx context.Context, hostVersion string) (sdk.Manifest, Capabilities, error) {
	resp, err := c.c.GetManifest(ctx, &pb.GetManifestRequest{HostVersion: hostVersion})
	if err != nil {
		return sdk.Manifest{}, Capabilities{}, callError("manifest", err)
	}
	m, caps, err := manifestFromProto(resp.GetManifest())
	if err == nil {
		err = m.Check()
	}
	if err != nil {
		return sdk.Manifest{}, Capabilities{}, fmt.Errorf("plugin: manifest: %w", err)
	}
	return m, caps, nil
}

// CheckRecords validates records (validate) and computes those without
// problems whose template has computed fields (compute), in one call: one
// result per record. Asking for neither calls nothing.
func (c *Client) CheckRecords(ctx context.Context, records []sdk.Record, validate, compute bool) ([]Result, error) {
	const op = "check records"
	if !validate && !compute {
		return make([]Result, len(records)), nil
	}
	prs, err := recordsToProto(records)
	if err != nil {
		return nil, fmt.Errorf("plugin: %s: %w", op, err)
	}
	resp, err := c.c.CheckRecords(ctx, &pb.CheckRecordsRequest{Records: prs, Validate: validate, Compute: compute})
	if err != nil {
		return nil, callError(op, err)
	}
	if n := len(resp.GetResults()); n != len(records) {
		return nil, fmt.Errorf("plugin: %s: %d results for %d records", op, n, len(records))
	}
	out, err := resultsFromProto(resp.GetResults())
	if err != nil {
		return nil, fmt.Errorf("plugin: %s: %w", op, err)
	}
	return out, nil
}

// ValidateRecords validates records: one slice of problems per record.
func (c *Client) ValidateRecords(ctx context.Context, records []sdk.Record) ([][]sdk.FieldProblem, error) {
	results, err := c.CheckRecords(ctx, records, true, false)
	if err != nil {
		return nil, err
	}
	out := make([][]sdk.FieldProblem, len(results))
	for i, r := range results {
		out[i] = r.Problems
	}
	return out, nil
}

// ComputeRecords computes records: one map of computed values per record,
// empty for a record whose template has no computed fields.
func (c *Client) ComputeRecords(ctx context.Context, records []sdk.Record) ([]map[string]any, error) {
	results, err := c.CheckRecords(ctx, records, false, true)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(results))
	for i, r := range results {
		out[i] = r.Computed
		if out[i] == nil {
			out[i] = map[string]any{}
		}
	}
	return out, nil
}

// HandleEvent delivers e and returns the notifications and timers the
// plugin asks for. A timer without a valid time is an error.
func (c *Client) HandleEvent(ctx context.Context, e sdk.Event) (sdk.EventResult, error) {
	const op = "handle event"
	pe, err := eventToProto(e)
	if err != nil {
		return sdk.EventResult{}, fmt.Errorf("plugin: %s: %w", op, err)
	}
	resp, err := c.c.HandleEvent(ctx, &pb.HandleEventRequest{Event: pe})
	if err != nil {
		return sdk.EventResult{}, callError(op, err)
	}
	out, err := eventResultFromProto(resp)
	if err != nil {
		return sdk.EventResult{}, fmt.Errorf("plugin: %s: %w", op, err)
	}
	return out, nil
}

// Notify delivers n through the plugin's channel.
func (c *Client) Notify(ctx context.Context, tenant string, n sdk.Notification, addresses map[string]string) error {
	_, err := c.c.Notify(ctx, &pb.NotifyRequest{Tenant: tenant, Notification: notificationToProto(n), Addresses: addresses})
	if err != nil {
		return callError("notify", err)
	}
	return nil
}

// Dispense returns the Go-native client of the Kiroku plugin served over
// c, a started go-plugin connection (glue's plugin set).
func Dispense(c plugin.ClientProtocol) (*Client, error) {
	raw, err := c.Dispense(glue.Name)
	if err != nil {
		return nil, fmt.Errorf("plugin: dispense: %w", err)
	}
	pc, ok := raw.(pb.PluginClient)
	if !ok {
		return nil, fmt.Errorf("plugin: dispense: unexpected client %T", raw)
	}
	return NewClient(pc), nil
}
