package customer

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/outbox"
)

// Customer event kinds: what happened to a customer. Restoring a deleted
// customer is an update.
const (
	EventCustomerCreated = "customer.created"
	EventCustomerUpdated = "customer.updated"
	EventCustomerDeleted = "customer.deleted"
)

// TopicCustomerEvent is the outbox topic of customer events: one message
// per event and subscriber (Recipient: the subscriber's name, e.g. a
// plugin's), enqueued in the transaction of the write, so that a write
// that rolls back announces nothing. Key: "<customer ID>:<version>", the
// version the write gave the customer, which makes the message idempotent
// and is the event's ID for the subscriber. Payload: EventPayload. The
// customer engine has no handler for it: the subscriber's side delivers it
// (the plugin host's EventHandlers).
//
// Create, Update, Delete, Restore and Import (its created and updated
// rows) announce events; assignment changes alone (SetAssignees,
// Reassign) do not, although they give the customer a new version.
const TopicCustomerEvent = "customer.event"

// EventPayload is the payload of a TopicCustomerEvent message.
type EventPayload struct {
	Kind     string    `json:"kind"`
	Customer uuid.UUID `json:"customer"`
	Tenant   uuid.UUID `json:"tenant"`
	Version  int64     `json:"version"`
	// At is when the write happened (the engine's clock).
	At time.Time `json:"at"`
}

// event is the event of kind about customer id of tenant at version.
func (s *Service) event(tenant, id uuid.UUID, version int64, kind string) outbox.Event {
	return outbox.Event{Tenant: tenant, ID: id, Version: version, Kind: kind,
		Payload: EventPayload{Kind: kind, Customer: id, Tenant: tenant, Version: version, At: s.now()}}
}

// enqueueEvents enqueues events for their subscribers through tx.
func (s *Service) enqueueEvents(ctx context.Context, tx bun.IDB, events ...outbox.Event) error {
	return outbox.EnqueueEvents(ctx, tx, s.cfg.Events, TopicCustomerEvent, events...)
}

// EventCustomer is what an event subscriber learns of a customer.
type EventCustomer struct {
	ID   uuid.UUID
	Name string
	// Fields are the customer's custom field values in their JSON form.
	Fields map[string]any
	// Assignees are the staff in charge, in the order they were assigned.
	Assignees []uuid.UUID
}
