#!/usr/bin/env bash
# Regenerates the Go code of the plugin protocol from the .proto files.
#
# Needs protoc (Debian: apt-get install protobuf-compiler; tested with 3.21)
# and Go; the protoc plugins come at pinned versions from the tools module
# next to this script (tools/go.mod), so the output is reproducible:
#
#	plugins/proto/generate.sh
#
# CI (.ci/run) regenerates and fails when the committed code differs.
set -euo pipefail
cd "$(dirname "$0")"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
(cd tools && go build -o "$bin" google.golang.org/protobuf/cmd/protoc-gen-go google.golang.org/grpc/cmd/protoc-gen-go-grpc)
protoc --proto_path=. \
  --plugin=protoc-gen-go="$bin/protoc-gen-go" --go_out=. --go_opt=paths=source_relative \
  --plugin=protoc-gen-go-grpc="$bin/protoc-gen-go-grpc" --go-grpc_out=. --go-grpc_opt=paths=source_relative \
  kirokuplugin/v2/plugin.proto
