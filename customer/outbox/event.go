package outbox

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Subscribers tells an engine who wants which events: the Events field of
// customer.Config and contactlog.Config takes one (the plugin host,
// plugins.Host, implements it), and EnqueueEvents asks it. The event kinds
// are the engines' (customer.EventCustomerCreated, …,
// contactlog.EventRecordCreated, …).
type Subscribers interface {
	// Subscribers returns the names of the subscribers of events of kind
	// in the tenant; none means no message.
	Subscribers(tenant uuid.UUID, kind string) []string
}

// Event is one change of an object that EnqueueEvents announces.
type Event struct {
	Tenant  uuid.UUID
	ID      uuid.UUID // the object's ID
	Version int64     // the version the change gave the object
	Kind    string
	Payload any // marshalled to JSON
}

// EnqueueEvents enqueues, through db (the transaction of the change), one
// message of topic per event and subscriber of its kind in its tenant:
// Recipient is the subscriber's name and Key "<ID>:<Version>", which makes
// the message idempotent and is the event's ID for the subscriber. With
// nil subs nothing is enqueued; subs is asked once per tenant and kind.
func EnqueueEvents(ctx context.Context, db bun.IDB, subs Subscribers, topic string, events ...Event) error {
	if subs == nil {
		return nil
	}
	type tenantKind struct {
		tenant uuid.UUID
		kind   string
	}
	names := map[tenantKind][]string{}
	var msgs []Message
	for _, e := range events {
		tk := tenantKind{e.Tenant, e.Kind}
		ns, ok := names[tk]
		if !ok {
			ns = subs.Subscribers(e.Tenant, e.Kind)
			names[tk] = ns
		}
		if len(ns) == 0 {
			continue
		}
		payload, err := json.Marshal(e.Payload)
		if err != nil {
			return fmt.Errorf("outbox: event %s: %w", e.ID, err)
		}
		key := fmt.Sprintf("%s:%d", e.ID, e.Version)
		for _, n := range ns {
			msgs = append(msgs, Message{Tenant: e.Tenant, Topic: topic, Recipient: n, Key: key, Payload: payload})
		}
	}
	return Enqueue(ctx, db, msgs...)
}
