package sdk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
)

// ErrUnsupported is what a call of a capability the plugin does not have
// (its handler is nil) fails with, on the host and in package plugintest.
var ErrUnsupported = errors.New("plugin: capability not supported")

// Validator checks a batch of records of the plugin's templates before they
// are stored. It returns one slice of problems per record, in order; an
// empty slice means the record is valid. An error fails the whole batch.
type Validator interface {
	ValidateRecords(ctx context.Context, records []Record) ([][]FieldProblem, error)
}

// ValidatorFunc adapts a function to a Validator.
type ValidatorFunc func(ctx context.Context, records []Record) ([][]FieldProblem, error)

// ValidateRecords calls f.
func (f ValidatorFunc) ValidateRecords(ctx context.Context, records []Record) ([][]FieldProblem, error) {
	return f(ctx, records)
}

// Computer derives the computed fields of a batch of records. It returns
// one map per record, in order, holding only keys the record's template
// lists in Template.Computed; the host stores them with the record.
type Computer interface {
	ComputeRecords(ctx context.Context, records []Record) ([]map[string]any, error)
}

// ComputerFunc adapts a function to a Computer.
type ComputerFunc func(ctx context.Context, records []Record) ([]map[string]any, error)

// ComputeRecords calls f.
func (f ComputerFunc) ComputeRecords(ctx context.Context, records []Record) ([]map[string]any, error) {
	return f(ctx, records)
}

// ValidateEach returns a Validator that checks each record written with one
// of templates by check, and finds no problems in records of other
// templates: the batch loop every plugin would otherwise write.
func ValidateEach(check func(Record) []FieldProblem, templates ...string) Validator {
	return ValidatorFunc(func(_ context.Context, records []Record) ([][]FieldProblem, error) {
		out := make([][]FieldProblem, len(records))
		for i, r := range records {
			if slices.Contains(templates, r.Template) {
				out[i] = check(r)
			}
		}
		return out, nil
	})
}

// ComputeEach returns a Computer that computes each record written with one
// of templates by compute (nil is taken as no values), and computes nothing
// for records of other templates.
func ComputeEach(compute func(Record) map[string]any, templates ...string) Computer {
	return ComputerFunc(func(_ context.Context, records []Record) ([]map[string]any, error) {
		out := make([]map[string]any, len(records))
		for i, r := range records {
			var v map[string]any
			if slices.Contains(templates, r.Template) {
				v = compute(r)
			}
			if v == nil {
				v = map[string]any{}
			}
			out[i] = v
		}
		return out, nil
	})
}

// EventHandler receives the events of the kinds in Manifest.EventKinds and
// of the timers it set, and may answer with notifications the host
// delivers and timers it sets. An error makes the host deliver the event
// again later.
type EventHandler interface {
	HandleEvent(ctx context.Context, event Event) (EventResult, error)
}

// EventHandlerFunc adapts a function to an EventHandler.
type EventHandlerFunc func(ctx context.Context, event Event) (EventResult, error)

// HandleEvent calls f.
func (f EventHandlerFunc) HandleEvent(ctx context.Context, event Event) (EventResult, error) {
	return f(ctx, event)
}

// Notifier delivers a notification through the plugin's channel (chat,
// SMS, …) in tenant, a tenant that installed the plugin. addresses holds
// the recipients' addresses as the host knows them, by recipient ID: a
// staff member's e-mail address; for the customer portal's SMS
// invitations (which an operator sends through one chosen plugin) the
// recipient is a customer's ID and the address their mobile number.
type Notifier interface {
	Notify(ctx context.Context, tenant string, n Notification, addresses map[string]string) error
}

// NotifierFunc adapts a function to a Notifier.
type NotifierFunc func(ctx context.Context, tenant string, n Notification, addresses map[string]string) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, tenant string, n Notification, addresses map[string]string) error {
	return f(ctx, tenant, n, addresses)
}

// ServeOpts is what a plugin serves (package server's Serve): its
// manifest and its handlers. A nil handler means the plugin does not have
// that capability: the host is told so, and calls of it fail with
// ErrUnsupported.
type ServeOpts struct {
	// Manifest is what the plugin contributes.
	Manifest Manifest
	// Validator checks records of the plugin's templates; nil: none.
	Validator Validator
	// Computer fills the Computed fields of the plugin's templates; nil:
	// none, which templates with computed fields do not allow.
	Computer Computer
	// EventHandler receives the events of Manifest.EventKinds and due
	// timers; nil: none, which a non-empty EventKinds does not allow.
	EventHandler EventHandler
	// Notifier makes the plugin a notification channel; nil: none.
	Notifier Notifier
	// Logger receives the SDK's logs (recovered panics, rejected results)
	// and is where handlers should log. nil means JSON lines on stderr,
	// which the host forwards to its own log at their level.
	Logger *slog.Logger
}

// Check reports whether the options can be served: the manifest is valid
// (Manifest.Check), event kinds and an EventHandler come together, and
// templates with computed fields have a Computer.
func (o ServeOpts) Check() error {
	if err := o.Manifest.Check(); err != nil {
		return err
	}
	if (len(o.Manifest.EventKinds) > 0) != (o.EventHandler != nil) {
		return fmt.Errorf("plugin %s: event kinds and an event handler go together", o.Manifest.Name)
	}
	for _, t := range o.Manifest.Templates {
		if len(t.Computed) > 0 && o.Computer == nil {
			return fmt.Errorf("plugin %s: template %s has computed fields but no computer", o.Manifest.Name, t.Key)
		}
	}
	return nil
}
