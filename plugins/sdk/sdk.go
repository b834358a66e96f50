package sdk

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/hashicorp/go-plugin"

	"github.com/kirokuhq/kiroku/plugins/internal/glue"
	"github.com/kirokuhq/kiroku/plugins/internal/pluginapi"
	"github.com/kirokuhq/kiroku/plugins/internal/wire"
)

// Contributed objects.
type (
	// Manifest is what a plugin contributes: Name (the namespace, lower-case
	// ASCII letters and digits), Version, DisplayName and Description
	// (Japanese), Templates, Masters, CustomerFields, and EventKinds (the
	// events the plugin wants). Keys of contributed objects are namespaced
	// "<Name>:…" and must stay stable across versions.
	Manifest = pluginapi.Manifest
	// Template is a record template: namespaced Key, Name, Description,
	// Confidential, Fields, Aggregations, Catalogs, TaxRounding ("floor",
	// "round", "ceil") and Computed (the keys of fields the Computer fills).
	Template = pluginapi.Template
	// Field is a template field: Key, Label, Type (text, longtext, number,
	// integer, money, date, datetime, duration, select, multiselect,
	// boolean, staff, contact, lines), Required, Min/Max (nil: unbounded),
	// Options, Default (JSON form), Help, Unit, Catalog (for lines).
	Field = pluginapi.Field
	// Aggregation is a monthly aggregation: Key, Label, Expr over the
	// record's field values, Unit.
	Aggregation = pluginapi.Aggregation
	// Catalog is a list of items lines fields pick from: Key, Name, Items.
	Catalog = pluginapi.Catalog
	// CatalogItem is a catalog item: Key, Name, Category, Classification,
	// UnitPrice (yen, tax excluded), TaxRate (percent).
	CatalogItem = pluginapi.CatalogItem
	// MasterItem is an item of a tenant's record master: Kind (channel,
	// result, summary, progress, category1, category2), namespaced Code,
	// Label, Parent.
	MasterItem = pluginapi.MasterItem
	// CustomerField is a customer custom field: namespaced Key, Label,
	// Type (text, number, date, select, boolean), Options, Required.
	CustomerField = pluginapi.CustomerField
)

// What handlers see and answer.
type (
	// Record is a contact record: ID, Tenant, Template (key),
	// TemplateVersion, Customer (empty for drafts), PlannedAt and ActualAt
	// (zero when unset, UTC), Values and CustomerFields in JSON form
	// (string, float64 for every number, bool, nil, []any, map[string]any),
	// Responders (user IDs).
	Record = pluginapi.Record
	// FieldProblem is a problem a user sees at a field: Field
	// ("fields.<key>" or "fields.<key>[i].<part>"), Code (required, format,
	// out_of_range, unknown, not_allowed, …) and Param.
	FieldProblem = pluginapi.FieldProblem
	// Event is something that happened: ID (the idempotency key; an event
	// may arrive more than once), Kind, Tenant, At, Record (record events),
	// Customer, MonthRecords (for record events: the customer's records
	// of the same template in the record's month, the record included),
	// and for a due timer (EventTimer) TimerKey and RecentRecords (the
	// customer's latest records of the plugin's templates, newest first,
	// at most 20).
	Event = pluginapi.Event
	// EventResult is what an EventHandler answers: Notifications to
	// deliver and Timers to set.
	EventResult = pluginapi.EventResult
	// Timer asks for an EventTimer event with TimerKey Key and Customer
	// loaded at At; Key is idempotent per plugin and tenant (a key set
	// before is not set again), and a purged customer drops the timer.
	Timer = pluginapi.Timer
	// Customer is a customer: ID, Name, Fields (JSON form), Assignees (the
	// staff in charge, user IDs).
	Customer = pluginapi.Customer
	// Notification is a message to staff: Recipients (user IDs), Subject,
	// Body, and Key (idempotency per recipient).
	Notification = pluginapi.Notification
)

// ValidateEach returns a Validator that checks each record written with one
// of templates by check, and finds no problems in records of other
// templates.
func ValidateEach(check func(Record) []FieldProblem, templates ...string) Validator {
	return pluginapi.ValidateEach(check, templates...)
}

// ComputeEach returns a Computer that computes each record written with one
// of templates by compute (nil: no values), and nothing for records of other
// templates.
func ComputeEach(compute func(Record) map[string]any, templates ...string) Computer {
	return pluginapi.ComputeEach(compute, templates...)
}

// Handlers: a plugin sets in ServeOpts the ones whose capability it has.
type (
	// Validator checks a batch of records before they are stored, returning
	// one slice of problems per record, in order (empty: valid). An error
	// fails the whole batch.
	Validator = pluginapi.Validator
	// ValidatorFunc adapts a function to a Validator.
	ValidatorFunc = pluginapi.ValidatorFunc
	// Computer computes a batch of records, returning one map per record,
	// in order, with only the keys the record's Template.Computed lists.
	Computer = pluginapi.Computer
	// ComputerFunc adapts a function to a Computer.
	ComputerFunc = pluginapi.ComputerFunc
	// EventHandler receives the events of Manifest.EventKinds and of the
	// timers it set, and may answer with notifications and timers; an
	// error makes the host retry later.
	EventHandler = pluginapi.EventHandler
	// EventHandlerFunc adapts a function to an EventHandler.
	EventHandlerFunc = pluginapi.EventHandlerFunc
	// Notifier delivers a notification through the plugin's channel;
	// addresses are the recipients' addresses known to the host, by user ID.
	Notifier = pluginapi.Notifier
	// NotifierFunc adapts a function to a Notifier.
	NotifierFunc = pluginapi.NotifierFunc
	// ServeOpts is what Serve serves: Manifest, the handlers (nil: the
	// capability is absent) and Logger (nil: JSON lines on stderr, which
	// the host logs at their level). ServeOpts.Check tells whether Serve
	// accepts them.
	ServeOpts = pluginapi.ServeOpts
)

// Event kinds, for Manifest.EventKinds and Event.Kind.
const (
	EventRecordCreated   = pluginapi.EventRecordCreated
	EventRecordUpdated   = pluginapi.EventRecordUpdated
	EventRecordDeleted   = pluginapi.EventRecordDeleted
	EventCustomerCreated = pluginapi.EventCustomerCreated
	EventCustomerUpdated = pluginapi.EventCustomerUpdated
	EventCustomerDeleted = pluginapi.EventCustomerDeleted
	// EventTimer is a timer the plugin set that is due; it is delivered
	// whatever Manifest.EventKinds says.
	EventTimer = pluginapi.EventTimer
)

// ErrUnsupported is what a call of a capability the plugin does not have
// fails with (on the host and in plugintest).
var ErrUnsupported = pluginapi.ErrUnsupported

// Serve checks opts (ServeOpts.Check) and serves them to the Kiroku host
// that started the process, until the host stops it. It returns the check's
// error without serving; a process not started by a Kiroku host prints so
// and exits with status 1.
func Serve(opts ServeOpts) error {
	if opts.Logger == nil {
		opts.Logger = defaultLogger()
	}
	s, err := wire.NewServer(opts)
	if err != nil {
		return fmt.Errorf("sdk: serve: %w", err)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: glue.Handshake,
		Plugins:         glue.Set(s),
		GRPCServer:      plugin.DefaultGRPCServer,
	})
	return nil
}

// hclogTime is the timestamp layout the host's log parser reads.
const hclogTime = "2006-01-02T15:04:05.000000Z07:00"

// defaultLogger writes JSON lines to stderr with the keys the host's log
// parser reads (@timestamp, @level, @message), so that the host logs them
// at their level with their attributes.
func defaultLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				return slog.String("@timestamp", a.Value.Time().Format(hclogTime))
			case slog.LevelKey:
				return slog.String("@level", strings.ToLower(a.Value.String()))
			case slog.MessageKey:
				a.Key = "@message"
			}
			return a
		},
	}))
}
