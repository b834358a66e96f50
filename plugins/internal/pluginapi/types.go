// Package pluginapi defines the Go-native side of the plugin protocol: the
// types, handler interfaces and serve options that package sdk re-exports to
// plugin vendors, and that the host and package plugintest use through
// package wire. It lives below sdk so that sdk, wire and the host share one
// definition without import cycles; vendors use it only through sdk.
package pluginapi

import "time"

// Manifest is what a plugin contributes. Every key of a contributed object
// (template, master item code, customer field) is namespaced by Name:
// "careservice:visit". Keys must stay stable across versions: records and
// template versions point at them.
type Manifest struct {
	// Name is the plugin's namespace: lower-case ASCII letters and digits.
	Name string
	// Version is the plugin's own version (semver recommended).
	Version string
	// DisplayName and Description are shown to users (Japanese).
	DisplayName string
	Description string
	// Templates are the record templates the plugin contributes.
	Templates []Template
	// Masters are items the plugin adds to the tenants' record masters.
	Masters []MasterItem
	// CustomerFields are custom fields of customers the plugin contributes.
	CustomerFields []CustomerField
	// EventKinds are the events the plugin wants (EventRecordCreated, …);
	// empty means none. Non-empty requires an EventHandler.
	EventKinds []string
}

// Template is a record template the plugin contributes.
type Template struct {
	// Key is namespaced: "<plugin name>:<key>".
	Key         string
	Name        string
	Description string
	// Confidential records are visible only to their people and managers.
	Confidential bool
	Fields       []Field
	Aggregations []Aggregation
	Catalogs     []Catalog
	// TaxRounding of money lines: "floor" (default when empty), "round" or
	// "ceil".
	TaxRounding string
	// Computed are the keys of Fields the plugin's Computer fills in; users
	// do not enter them. Non-empty requires a Computer.
	Computed []string
}

// Field is one field of a template.
type Field struct {
	Key   string
	Label string
	// Type: text, longtext, number, integer, money, date, datetime,
	// duration, select, multiselect, boolean, staff, contact, lines.
	Type     string
	Required bool
	// Min and Max bound numbers; nil means unbounded.
	Min, Max *float64
	// Options are the choices of select and multiselect fields.
	Options []string
	// Default is the initial value in its JSON form; nil means none.
	Default any
	Help    string
	Unit    string
	// Catalog is the key of one of the template's Catalogs that the lines
	// of a lines field pick from.
	Catalog string
}

// Aggregation is a monthly aggregation over a template's records.
type Aggregation struct {
	Key   string
	Label string
	// Expr is an expression over the record's field values.
	Expr string
	Unit string
}

// Catalog is a list of items (a menu, a price list) lines fields pick from.
type Catalog struct {
	Key   string
	Name  string
	Items []CatalogItem
}

// CatalogItem is one item of a catalog.
type CatalogItem struct {
	Key            string
	Name           string
	Category       string
	Classification string
	// UnitPrice in yen, tax excluded.
	UnitPrice int64
	// TaxRate in percent (10, 8, 0).
	TaxRate int32
}

// MasterItem is an item the plugin adds to one of a tenant's record
// masters.
type MasterItem struct {
	// Kind: channel, result, summary, progress, category1, category2.
	Kind string
	// Code is namespaced: "<plugin name>:<code>".
	Code   string
	Label  string
	Parent string
}

// CustomerField is a custom field of customers the plugin contributes.
type CustomerField struct {
	// Key is namespaced: "<plugin name>:<key>".
	Key   string
	Label string
	// Type: text, number, date, select, boolean.
	Type     string
	Options  []string
	Required bool
}

// Record is what a plugin sees of a contact record. Values and
// CustomerFields hold JSON-form values: string, float64 (every number),
// bool, nil, []any and map[string]any.
type Record struct {
	ID              string
	Tenant          string
	Template        string
	TemplateVersion int32
	// Customer is empty for drafts.
	Customer string
	// PlannedAt and ActualAt are zero when unset.
	PlannedAt      time.Time
	ActualAt       time.Time
	Values         map[string]any
	Responders     []string
	CustomerFields map[string]any
}

// FieldProblem is one problem a user sees at a field of a record.
type FieldProblem struct {
	// Field is "fields.<key>" or "fields.<key>[i].<part>".
	Field string
	// Code is one of Kiroku's stable codes: required, format,
	// out_of_range, unknown, not_allowed, …
	Code string
	// Param qualifies the code (a bound, an allowed value).
	Param string
}

// Event kinds.
const (
	EventRecordCreated   = "record.created"
	EventRecordUpdated   = "record.updated"
	EventRecordDeleted   = "record.deleted"
	EventCustomerCreated = "customer.created"
	EventCustomerUpdated = "customer.updated"
	EventCustomerDeleted = "customer.deleted"
	// EventTimer is a timer the plugin set (Timer) that is due. It is
	// delivered whatever Manifest.EventKinds says.
	EventTimer = "timer"
)

// Event is something that happened in Kiroku. The same event may be
// delivered more than once: ID is the idempotency key.
type Event struct {
	ID     string
	Kind   string
	Tenant string
	At     time.Time
	// Record is set for record events.
	Record *Record
	// Customer is set for customer events and for record events of a
	// record with a customer.
	Customer *Customer
	// MonthRecords are, for record events, the customer's records of the
	// same template in the record's calendar month (tenant time zone), the
	// record included.
	MonthRecords []Record
	// TimerKey is, for EventTimer, the key of the timer that is due.
	TimerKey string
	// RecentRecords are, for EventTimer, the timer customer's most recent
	// records (not deleted) of the plugin's templates, newest first by
	// Record time (actual, else planned, else creation), at most 20.
	RecentRecords []Record
}

// Customer is what a plugin sees of a customer.
type Customer struct {
	ID   string
	Name string
	// Fields are the custom field values in their JSON form.
	Fields map[string]any
	// Assignees are the staff in charge (user IDs).
	Assignees []string
}

// Timer asks the host to deliver an EventTimer event with TimerKey Key
// and the customer Customer at At (or soon after). Key is idempotent per
// plugin and tenant: a timer whose key was set before is not set again.
// A timer of a customer purged meanwhile is dropped.
type Timer struct {
	// Key is non-empty and at most 255 bytes.
	Key string
	At  time.Time
	// Customer is the customer's ID (required).
	Customer string
}

// EventResult is what an EventHandler answers: notifications the host
// delivers and timers it sets.
type EventResult struct {
	Notifications []Notification
	Timers        []Timer
}

// Notification is a message to staff.
type Notification struct {
	// Recipients are staff user IDs.
	Recipients []string
	Subject    string
	Body       string
	// Key makes the notification idempotent per recipient.
	Key string
}
