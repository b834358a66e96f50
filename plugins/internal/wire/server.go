package wire

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/kirokuhq/kiroku/plugins/proto/kirokuplugin/v1"
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

func (s *server) ValidateRecords(ctx context.Context, req *pb.ValidateRecordsRequest) (_ *pb.ValidateRecordsResponse, err error) {
	const op = "validate records"
	if s.opts.Validator == nil {
		return nil, status.Error(codes.Unimplemented, op+": plugin has no validator")
	}
	records, err := recordsFromProto(req.GetRecords())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "%s: %v", op, err)
	}
	defer s.recoverTo(op, &err)
	problems, err := s.opts.Validator.ValidateRecords(ctx, records)
	if err != nil {
		return nil, handlerError(op, err)
	}
	if len(problems) != len(records) {
		return nil, s.internal(op, "validator returned %d results for %d records", len(problems), len(records))
	}
	return &pb.ValidateRecordsResponse{Results: problemsToProto(problems)}, nil
}

func (s *server) ComputeRecords(ctx context.Context, req *pb.ComputeRecordsRequest) (_ *pb.ComputeRecordsResponse, err error) {
	const op = "compute records"
	if s.opts.Computer == nil {
		return nil, status.Error(codes.Unimplemented, op+": plugin has no computer")
	}
	records, err := recordsFromProto(req.GetRecords())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "%s: %v", op, err)
	}
	defer s.recoverTo(op, &err)
	values, err := s.opts.Computer.ComputeRecords(ctx, records)
	if err != nil {
		return nil, handlerError(op, err)
	}
	if len(values) != len(records) {
		return nil, s.internal(op, "computer returned %d results for %d records", len(values), len(records))
	}
	resp := &pb.ComputeRecordsResponse{Results: make([]*structpb.Struct, len(values))}
	for i, v := range values {
		for k := range v {
			if !s.computed[records[i].Template][k] {
				return nil, s.internal(op, "record %s: %q is not a computed field of template %s", records[i].ID, k, records[i].Template)
			}
		}
		pv, err := structToProto(v)
		if err != nil {
			return nil, s.internal(op, "record %s: %v", records[i].ID, err)
		}
		resp.Results[i] = pv
	}
	return resp, nil
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
