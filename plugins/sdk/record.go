package sdk

import "time"

// Record is what a plugin sees of a contact record. Values and
// CustomerFields hold JSON-form values: string, float64 (every number),
// bool, nil, []any and map[string]any.
type Record struct {
	// ID is the record's ID; empty for a record being created, which has
	// none yet.
	ID string
	// Tenant is the ID of the record's tenant, one that installed the
	// plugin.
	Tenant string
	// Template is the key of the record's template, one of the plugin's.
	Template string
	// TemplateVersion is the version of the template the record is
	// written with.
	TemplateVersion int32
	// Customer is the customer's ID; empty for drafts.
	Customer string
	// PlannedAt and ActualAt are in UTC, zero when unset.
	PlannedAt time.Time
	ActualAt  time.Time
	// Values are the template field values by field key.
	Values map[string]any
	// Responders are the user IDs of the staff who handled the contact.
	Responders []string
	// CustomerFields are, in events, the custom field values of the
	// record's customer; nil in validate and compute calls.
	CustomerFields map[string]any
}

// FieldProblem is one problem a user sees at a field of a record.
type FieldProblem struct {
	// Field is "fields.<key>" or "fields.<key>[i].<part>".
	Field string
	// Code is one of Kiroku's stable codes (CodeRequired, …).
	Code string
	// Param qualifies the code (a bound, an allowed value).
	Param string
}

// Codes of FieldProblem.Code: Kiroku's stable field-problem codes, which
// clients and message catalogs translate. A plugin should report these
// rather than codes of its own.
const (
	CodeRequired   = "required"     // a value is needed
	CodeFormat     = "format"       // not in a recognised format
	CodeOutOfRange = "out_of_range" // outside Param ("1..2", "..240")
	CodeUnknown    = "unknown"      // not one of the allowed values or keys; Param: the value
	CodeNotAllowed = "not_allowed"  // not allowed here; Param: what would be
	CodeTooLong    = "too_long"     // longer than Param characters
)

// Event kinds, for Manifest.EventKinds and Event.Kind.
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

// Event is something that happened in a tenant that installed the
// plugin. The same event may be delivered more than once: ID is the
// idempotency key.
type Event struct {
	// ID is the idempotency key: a redelivered event carries the same ID.
	ID string
	// Kind is one of the Event… constants.
	Kind string
	// Tenant is the ID of the tenant the event happened in.
	Tenant string
	// At is when it happened (UTC); for EventTimer, the timer's time.
	At time.Time
	// Record is set for record events.
	Record *Record
	// Customer is set for customer events, for record events of a record
	// with a customer, and for EventTimer.
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
	// ID is the customer's ID.
	ID string
	// Name is the customer's display name.
	Name string
	// Fields are the custom field values in their JSON form, by key.
	Fields map[string]any
	// Assignees are the staff in charge (user IDs).
	Assignees []string
}

// Timer asks the host to deliver an EventTimer event with TimerKey Key
// and the customer Customer at At (or soon after). Key is idempotent per
// plugin and tenant: a timer whose key was set before is not set again.
// A timer of a customer purged meanwhile, or due in a tenant that has
// uninstalled the plugin, is dropped.
type Timer struct {
	// Key is non-empty and at most 255 bytes.
	Key string
	// At is when the timer is due.
	At time.Time
	// Customer is the customer's ID (required).
	Customer string
}

// EventResult is what an EventHandler answers: notifications the host
// delivers and timers it sets, both in the event's tenant.
type EventResult struct {
	// Notifications are delivered to their recipients by e-mail and
	// through every notification channel plugin of the tenant.
	Notifications []Notification
	// Timers are set in the event's tenant.
	Timers []Timer
}

// Notification is a message to staff.
type Notification struct {
	// Recipients are staff user IDs.
	Recipients []string
	// Subject is the message's subject line.
	Subject string
	// Body is the message's plain text.
	Body string
	// Key makes the notification idempotent per recipient; empty means
	// the event's ID and the notification's position.
	Key string
}
