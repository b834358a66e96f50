// Command testplugin is the plugin the host's tests run. Its name is its
// file name without "kiroku-plugin-"; the copy named "vtwo" speaks protocol
// version 2. It contributes the template <name>:log (minutes, note, and
// units computed as one per started 30 minutes), refuses more than 240
// minutes, and misbehaves on request through the note: "crash" exits
// mid-call, "hang" never answers, "short" answers validation with no
// results, "bogus" computes an undeclared key. Its description is its
// environment, one variable a line.
package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/kirokuhq/kiroku/plugins/internal/glue"
	kirokupluginv1 "github.com/kirokuhq/kiroku/plugins/proto/kirokuplugin/v1"
)

type server struct {
	kirokupluginv1.UnimplementedPluginServer
	name string
}

func (s server) GetManifest(context.Context, *kirokupluginv1.GetManifestRequest) (*kirokupluginv1.GetManifestResponse, error) {
	return &kirokupluginv1.GetManifestResponse{Manifest: &kirokupluginv1.Manifest{
		Name: s.name, Version: "1.2.3", DisplayName: "テスト", Description: strings.Join(os.Environ(), "\n"),
		Capabilities: []kirokupluginv1.Capability{kirokupluginv1.Capability_CAPABILITY_VALIDATE, kirokupluginv1.Capability_CAPABILITY_COMPUTE},
		Templates: []*kirokupluginv1.Template{{
			Key: s.name + ":log", Name: "作業記録",
			Fields: []*kirokupluginv1.Field{
				{Key: "minutes", Label: "作業時間", Type: "duration", Required: true},
				{Key: "note", Label: "メモ", Type: "text"},
				{Key: "units", Label: "単位数", Type: "integer"},
			},
			Computed: []string{"units"},
		}},
	}}, nil
}

func (s server) ValidateRecords(ctx context.Context, req *kirokupluginv1.ValidateRecordsRequest) (*kirokupluginv1.ValidateRecordsResponse, error) {
	resp := &kirokupluginv1.ValidateRecordsResponse{}
	for _, r := range req.GetRecords() {
		v := r.GetValues().AsMap()
		switch v["note"] {
		case "crash":
			os.Exit(3)
		case "hang":
			<-ctx.Done()
			return nil, ctx.Err()
		case "short":
			return resp, nil
		}
		var ps kirokupluginv1.RecordProblems
		if m, _ := v["minutes"].(float64); m > 240 {
			ps.Problems = append(ps.Problems, &kirokupluginv1.FieldProblem{Field: "fields.minutes", Code: "out_of_range", Param: "..240"})
		}
		resp.Results = append(resp.Results, &ps)
	}
	return resp, nil
}

func (s server) ComputeRecords(_ context.Context, req *kirokupluginv1.ComputeRecordsRequest) (*kirokupluginv1.ComputeRecordsResponse, error) {
	resp := &kirokupluginv1.ComputeRecordsResponse{}
	for _, r := range req.GetRecords() {
		v := r.GetValues().AsMap()
		m, _ := v["minutes"].(float64)
		out := map[string]any{"units": float64((int(m) + 29) / 30)}
		if v["note"] == "bogus" {
			out["bogus"] = 1.0
		}
		st, err := structpb.NewStruct(out)
		if err != nil {
			return nil, err
		}
		resp.Results = append(resp.Results, st)
	}
	return resp, nil
}

func main() {
	name := strings.TrimPrefix(filepath.Base(os.Args[0]), "kiroku-plugin-")
	hs := glue.Handshake
	if name == "vtwo" {
		hs.ProtocolVersion = 2
	}
	plugin.Serve(&plugin.ServeConfig{HandshakeConfig: hs, Plugins: glue.Set(server{name: name}), GRPCServer: plugin.DefaultGRPCServer})
}
