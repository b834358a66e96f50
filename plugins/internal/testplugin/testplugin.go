// Package testplugin is a small plugin the SDK's tests serve in-process and
// as a real process (cmd/kiroku-plugin-test). Its handlers misbehave on
// request, by record value: "panic" panics, "fail" returns an error, "short"
// returns one result too few, and "stray" makes the computer return a key
// that is not a computed field. Misbehaving is the host's test plugin
// (cmd/kiroku-plugin-misbehave): crashes, hangs and a protocol version 1
// copy.
package testplugin

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/kirokuhq/kiroku/plugins/sdk"
)

// Opts are the plugin's serve options: template "test:order" with a
// required number "qty" and a computed "total" (qty × 100), a validator, a
// computer, an event handler that notifies a created record's or
// customer's (customer) assignees, and a notifier that writes one line per
// recipient to stderr ("notified <tenant> <user> <address> <subject>"),
// which a host logs, and fails for the subject "fail". The validator, the
// computer and the event handler record each call on stderr too: "called
// <validate|compute> <tenant>" per record and "called event <kind>
// <tenant>".
func Opts() sdk.ServeOpts {
	return sdk.ServeOpts{
		Manifest: sdk.Manifest{
			Name:    "test",
			Version: "1.0.0",
			Templates: []sdk.Template{{
				Key:  "test:order",
				Name: "注文",
				Fields: []sdk.Field{
					{Key: "qty", Label: "数量", Type: "number", Required: true},
					{Key: "total", Label: "合計", Type: "money"},
				},
				Computed: []string{"total"},
			}},
			EventKinds: []string{sdk.EventRecordCreated, sdk.EventCustomerCreated},
		},
		Validator:    sdk.ValidatorFunc(validate),
		Computer:     sdk.ComputerFunc(compute),
		EventHandler: sdk.EventHandlerFunc(handle),
		Notifier:     sdk.NotifierFunc(notify),
	}
}

// misbehave acts on the records' "panic", "fail" and "short" values.
func misbehave(records []sdk.Record) (short bool, err error) {
	for _, r := range records {
		switch {
		case r.Values["panic"] == true:
			panic("asked to panic")
		case r.Values["fail"] == true:
			return false, errors.New("asked to fail")
		case r.Values["short"] == true:
			short = true
		}
	}
	return short, nil
}

// called records a call of op for the records on stderr.
func called(op string, records []sdk.Record) {
	for _, r := range records {
		fmt.Fprintf(stderr, "called %s %s\n", op, r.Tenant)
	}
}

func validate(_ context.Context, records []sdk.Record) ([][]sdk.FieldProblem, error) {
	called("validate", records)
	short, err := misbehave(records)
	if err != nil {
		return nil, err
	}
	out := make([][]sdk.FieldProblem, len(records))
	for i, r := range records {
		if _, ok := r.Values["qty"].(float64); !ok {
			out[i] = append(out[i], sdk.FieldProblem{Field: "fields.qty", Code: sdk.CodeRequired})
		}
	}
	if short {
		out = out[1:]
	}
	return out, nil
}

func compute(_ context.Context, records []sdk.Record) ([]map[string]any, error) {
	called("compute", records)
	short, err := misbehave(records)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(records))
	for i, r := range records {
		qty, _ := r.Values["qty"].(float64)
		out[i] = map[string]any{"total": qty * 100}
		if r.Values["stray"] == true {
			out[i]["qty"] = qty
		}
	}
	if short {
		out = out[1:]
	}
	return out, nil
}

func handle(_ context.Context, e sdk.Event) (sdk.EventResult, error) {
	fmt.Fprintf(stderr, "called event %s %s\n", e.Kind, e.Tenant)
	if e.Customer == nil {
		return sdk.EventResult{}, nil
	}
	if e.Record == nil {
		return sdk.EventResult{Notifications: []sdk.Notification{{
			Recipients: e.Customer.Assignees,
			Subject:    e.Customer.Name + "様が登録されました",
			Body:       "顧客 " + e.Customer.ID + " が登録されました",
			Key:        e.ID,
		}}}, nil
	}
	return sdk.EventResult{Notifications: []sdk.Notification{{
		Recipients: e.Customer.Assignees,
		Subject:    e.Customer.Name + "様の記録",
		Body:       "記録 " + e.Record.ID + " が作成されました",
		Key:        e.ID,
	}}}, nil
}

// stderr is the process's standard error as it started, which the host
// logs: once serving, go-plugin points os.Stderr elsewhere.
var stderr = os.Stderr

func notify(_ context.Context, tenant string, n sdk.Notification, addresses map[string]string) error {
	if n.Subject == "fail" {
		return errors.New("asked to fail")
	}
	for _, u := range n.Recipients {
		fmt.Fprintf(stderr, "notified %s %s %s %s\n", tenant, u, addresses[u], n.Subject)
	}
	return nil
}
