package pluginapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
)

// ErrUnsupported reports a call of a capability the plugin does not have
// (its handler is nil).
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
// SMS, …). addresses holds the recipients' addresses as the host knows them
// (e-mail addresses), by user ID.
type Notifier interface {
	Notify(ctx context.Context, tenant string, n Notification, addresses map[string]string) error
}

// NotifierFunc adapts a function to a Notifier.
type NotifierFunc func(ctx context.Context, tenant string, n Notification, addresses map[string]string) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, tenant string, n Notification, addresses map[string]string) error {
	return f(ctx, tenant, n, addresses)
}

// ServeOpts is what a plugin serves: its manifest and its handlers. A nil
// handler means the plugin does not have that capability: the host is told
// so, and calls of it fail with ErrUnsupported.
type ServeOpts struct {
	Manifest     Manifest
	Validator    Validator
	Computer     Computer
	EventHandler EventHandler
	Notifier     Notifier
	// Logger receives the SDK's logs (recovered panics, rejected results)
	// and is where handlers should log. nil means JSON lines on stderr,
	// which the host forwards to its own log at their level.
	Logger *slog.Logger
}

// Check reports whether the options can be served: the manifest is valid
// (see CheckManifest), event kinds and an EventHandler come together, and
// templates with computed fields have a Computer.
func (o ServeOpts) Check() error {
	if err := CheckManifest(o.Manifest); err != nil {
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

var eventKinds = []string{
	EventRecordCreated, EventRecordUpdated, EventRecordDeleted,
	EventCustomerCreated, EventCustomerUpdated, EventCustomerDeleted,
}

// CheckManifest reports the first problem of m: a name that is not
// lower-case ASCII letters and digits, a template key, master item code (per
// kind) or customer field key that is not namespaced "<name>:…" or is
// repeated, a
// repeated field key in a template, a computed key that is not a field of
// its template, or an unknown event kind.
func CheckManifest(m Manifest) error {
	if !validName(m.Name) {
		return fmt.Errorf("plugin %q: name must be lower-case ASCII letters and digits", m.Name)
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("plugin %s: "+format, append([]any{m.Name}, args...)...)
	}
	namespaced := func(what, key string, seen map[string]bool) error {
		if len(key) <= len(m.Name)+1 || key[:len(m.Name)+1] != m.Name+":" {
			return fail("%s %q is not namespaced %q", what, key, m.Name+":…")
		}
		if seen[key] {
			return fail("%s %q is repeated", what, key)
		}
		seen[key] = true
		return nil
	}
	templates := map[string]bool{}
	for _, t := range m.Templates {
		if err := namespaced("template", t.Key, templates); err != nil {
			return err
		}
		fields := map[string]bool{}
		for _, f := range t.Fields {
			if f.Key == "" || fields[f.Key] {
				return fail("template %s: field key %q is empty or repeated", t.Key, f.Key)
			}
			fields[f.Key] = true
		}
		for _, c := range t.Computed {
			if !fields[c] {
				return fail("template %s: computed field %q is not a field", t.Key, c)
			}
		}
	}
	masters := map[string]map[string]bool{}
	for _, mi := range m.Masters {
		if masters[mi.Kind] == nil {
			masters[mi.Kind] = map[string]bool{}
		}
		if err := namespaced("master item "+mi.Kind, mi.Code, masters[mi.Kind]); err != nil {
			return err
		}
	}
	customerFields := map[string]bool{}
	for _, f := range m.CustomerFields {
		if err := namespaced("customer field", f.Key, customerFields); err != nil {
			return err
		}
	}
	for _, k := range m.EventKinds {
		if !slices.Contains(eventKinds, k) {
			return fail("unknown event kind %q", k)
		}
	}
	return nil
}

func validName(s string) bool {
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return s != ""
}
