package testplugin

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// Misbehaving are the serve options of the plugin the host's tests run
// (cmd/kiroku-plugin-misbehave) under the name name. It contributes the
// template <name>:log (minutes, note, and units computed as one per
// started 30 minutes), refuses more than 240 minutes, and misbehaves on
// request through the note: "crash" exits mid-call, "hang" answers only
// when the call's deadline passes, "short" answers validation with one
// result too few, "bogus" computes an undeclared key, "uncomputable" makes
// the computer (only) fail. Its manifest's
// description is the process's environment, one variable a line.
func Misbehaving(name string) sdk.ServeOpts {
	return sdk.ServeOpts{
		Manifest: sdk.Manifest{
			Name: name, Version: "1.2.3", DisplayName: "テスト", Description: strings.Join(os.Environ(), "\n"),
			Templates: []sdk.Template{{
				Key: name + ":log", Name: "作業記録",
				Fields: []sdk.Field{
					{Key: "minutes", Label: "作業時間", Type: "duration", Required: true},
					{Key: "note", Label: "メモ", Type: "text"},
					{Key: "units", Label: "単位数", Type: "integer"},
				},
				Computed: []string{"units"},
			}},
		},
		Validator: sdk.ValidatorFunc(validateLog),
		Computer:  sdk.ComputerFunc(computeLog),
	}
}

func validateLog(ctx context.Context, records []sdk.Record) ([][]sdk.FieldProblem, error) {
	out := make([][]sdk.FieldProblem, len(records))
	for i, r := range records {
		switch r.Values["note"] {
		case "crash":
			os.Exit(3)
		case "hang":
			<-ctx.Done()
			return nil, ctx.Err()
		case "short":
			return out[:i], nil
		}
		if m, _ := r.Values["minutes"].(float64); m > 240 {
			out[i] = append(out[i], sdk.FieldProblem{Field: "fields.minutes", Code: sdk.CodeOutOfRange, Param: "..240"})
		}
	}
	return out, nil
}

func computeLog(_ context.Context, records []sdk.Record) ([]map[string]any, error) {
	out := make([]map[string]any, len(records))
	for i, r := range records {
		if r.Values["note"] == "uncomputable" {
			return nil, errors.New("asked not to compute")
		}
		m, _ := r.Values["minutes"].(float64)
		out[i] = map[string]any{"units": (int(m) + 29) / 30}
		if r.Values["note"] == "bogus" {
			out[i]["bogus"] = 1
		}
	}
	return out, nil
}

// Upgraded are the serve options of the Misbehaving plugin name at
// version 2.0.0, whose template <name>:log also requires the text field
// place (cmd/kiroku-plugin-misbehave serves them from a directory named
// upgraded).
func Upgraded(name string) sdk.ServeOpts {
	opts := Misbehaving(name)
	opts.Manifest.Version = "2.0.0"
	t := &opts.Manifest.Templates[0]
	t.Fields = append(t.Fields, sdk.Field{Key: "place", Label: "訪問先", Type: "text", Required: true})
	return opts
}
