package wire

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/kirokuhq/kiroku/plugins/proto/kirokuplugin/v2"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// server serves sdk.ServeOpts over the protocol. An absent handler
// answers codes.Unimplemented; a handler's panic, a result of the wrong
// length or with values the protocol cannot carry answer codes.Internal,
// and a handler's error codes.Unknown (or its own status or the context's).
type server struct {
	pb.UnimplementedPluginServer
	opts     sdk.ServeOpts
	manifest *pb.Manifest
	// computed holds, by template key, the keys its Computer may fill.
	computed map[string]map[string]bool
	log      *slog.Logger
}

// NewServer checks o (sdk.ServeOpts.Check) and returns its protocol
// server. o.Logger must not be nil.
func NewServer(o sdk.ServeOpts) (pb.PluginServer, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	m, err := manifestToProto(o.Manifest, capabilitiesOf(o))
	if err != nil {
		return nil, fmt.Errorf("plugin %s: manifest: %w", o.Manifest.Name, err)
	}
	computed := map[string]map[string]bool{}
	for _, t := range o.Manifest.Templates {
		computed[t.Key] = map[string]bool{}
		for _, k := range t.Computed {
			computed[t.Key][k] = true
		}
	}
	return &server{opts: o, manifest: m, computed: computed, log: o.Logger}, nil
}

// recoverTo turns a panic of the handler behind op into *err.
func (s *server) recoverTo(op string, err *error) {
	if r := recover(); r != nil {
		s.log.Error("plugin handler panicked", "op", op, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*err = status.Errorf(codes.Internal, "%s: handler panicked: %v", op, r)
	}
}

// handlerError is the status of a handler's error.
func handlerError(op string, err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return status.FromContextError(err).Err()
	}
	return status.Errorf(codes.Unknown, "%s: %v", op, err)
}

// internal logs and returns a codes.Internal status: the plugin, not the
// host, is wrong.
func (s *server) internal(op string, format string, args ...any) error {
	err := status.Errorf(codes.Internal, op+": "+format, args...)
	s.log.Error("plugin result rejected", "op", op, "error", err)
	return err
}

func (s *server) GetManifest(context.Context, *pb.GetManifestRequest) (*pb.GetManifestResponse, error) {
	return &pb.GetManifestResponse{Manifest: s.manifest}, nil
}

// CheckRecords runs the validator over the batch when asked to, then the
// computer over the records whose template has computed fields and that
// have no problems, when asked to.
func (s *server) CheckRecords(ctx context.Context, req *pb.CheckRecordsRequest) (_ *pb.CheckRecordsResponse, err error) {
	const op = "check records"
	switch {
	case req.GetValidate() && s.opts.Validator == nil:
		return nil, status.Error(codes.Unimplemented, op+": plugin has no validator")
	case req.GetCompute() && s.opts.Computer == nil:
		return nil, status.Error(codes.Unimplemented, op+": plugin has no computer")
	}
	records, err := recordsFromProto(req.GetRecords())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "%s: %v", op, err)
	}
	resp := &pb.CheckRecordsResponse{Results: make([]*pb.RecordResult, len(records))}
	for i := range resp.Results {
		resp.Results[i] = &pb.RecordResult{}
	}
	if req.GetValidate() {
		if err := s.validate(ctx, records, resp.Results); err != nil {
			return nil, err
		}
	}
	if req.GetCompute() {
		if err := s.compute(ctx, records, resp.Results); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// validate stores the validator's problems with records in results.
func (s *server) validate(ctx context.Context, records []sdk.Record, results []*pb.RecordResult) (err error) {
	const op = "validate records"
	defer s.recoverTo(op, &err)
	problems, err := s.opts.Validator.ValidateRecords(ctx, records)
	if err != nil {
		return handlerError(op, err)
	}
	if len(problems) != len(records) {
		return s.internal(op, "validator returned %d results for %d records", len(problems), len(records))
	}
	for i, ps := range problems {
		for _, p := range ps {
			results[i].Problems = append(results[i].Problems, &pb.FieldProblem{Field: p.Field, Code: p.Code, Param: p.Param})
		}
	}
	return nil
}

// compute stores the computer's values of those of records whose template
// has computed fields and whose result has no problems in results: one
// call of the computer for all of them (none when there are none).
func (s *server) compute(ctx context.Context, records []sdk.Record, results []*pb.RecordResult) (err error) {
	const op = "compute records"
	var batch []sdk.Record
	var at []int // the positions of batch's records in records
	for i, r := range records {
		if len(s.computed[r.Template]) > 0 && len(results[i].Problems) == 0 {
			batch = append(batch, r)
			at = append(at, i)
		}
	}
	if len(batch) == 0 {
		return nil
	}
	defer s.recoverTo(op, &err)
	values, err := s.opts.Computer.ComputeRecords(ctx, batch)
	if err != nil {
		return handlerError(op, err)
	}
	if len(values) != len(batch) {
		return s.internal(op, "computer returned %d results for %d records", len(values), len(batch))
	}
	for j, v := range values {
		r := batch[j]
		for k := range v {
			if !s.computed[r.Template][k] {
				return s.internal(op, "record %s: %q is not a computed field of template %s", r.ID, k, r.Template)
			}
		}
		if v == nil {
			v = map[string]any{}
		}
		b, err := objectJSON(v)
		if err != nil {
			return s.internal(op, "record %s: %v", r.ID, err)
		}
		results[at[j]].ComputedJson = b
	}
	return nil
}

func (s *server) HandleEvent(ctx context.Context, req *pb.HandleEventRequest) (_ *pb.HandleEventResponse, err error) {
	const op = "handle event"
	if s.opts.EventHandler == nil {
		return nil, status.Error(codes.Unimplemented, op+": plugin has no event handler")
	}
	event, err := eventFromProto(req.GetEvent())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "%s: %v", op, err)
	}
	defer s.recoverTo(op, &err)
	res, err := s.opts.EventHandler.HandleEvent(ctx, event)
	if err != nil {
		return nil, handlerError(op, err)
	}
	return eventResultToProto(res), nil
}

func (s *server) Notify(ctx context.Context, req *pb.NotifyRequest) (_ *pb.NotifyResponse, err error) {
	const op = "notify"
	if s.opts.Notifier == nil {
		return nil, status.Error(codes.Unimplemented, op+": plugin has no notifier")
	}
	defer s.recoverTo(op, &err)
	if err := s.opts.Notifier.Notify(ctx, req.GetTenant(), notificationFromProto(req.GetNotification()), req.GetAddresses()); err != nil {
		return nil, handlerError(op, err)
	}
	return &pb.NotifyResponse{}, nil
}
