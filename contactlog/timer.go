package contactlog

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/outbox"
)

// TopicTimer is the outbox topic of timers event subscribers set
// (EnqueueTimers): one message per timer (Recipient: the subscriber's
// name, Key: the timer's key, so a subscriber sets a key once per tenant),
// delivered no earlier than the timer's time. Payload: TimerPayload. The
// record engine has no handler for it: the subscriber's side delivers it
// (the plugin host's EventHandlers).
const TopicTimer = "contactlog.timer"

// Timer is a delayed event a subscriber asks for about a customer.
type Timer struct {
	// Key names the timer for its subscriber: required, at most
	// outbox.MaxFieldLen (255) bytes.
	Key string
	// At is when the timer is due.
	At time.Time
	// Customer is the customer the timer is about (required).
	Customer uuid.UUID
}

// TimerPayload is the payload of a TopicTimer message.
type TimerPayload struct {
	Customer uuid.UUID `json:"customer"`
	At       time.Time `json:"at"`
}

// EnqueueTimers enqueues ts for delivery to subscriber (TopicTimer), each
// due at its At, through the handle's database; a timer whose key
// the subscriber set before in the tenant is not set again. A timer
// without a key or customer, or whose key is too long, is refused with
// ErrInvalid and nothing is enqueued.
func (s *System) EnqueueTimers(ctx context.Context, tenant uuid.UUID, subscriber string, ts []Timer) error {
	msgs := make([]outbox.Message, len(ts))
	for i, t := range ts {
		if t.Key == "" || t.Customer == uuid.Nil || len(t.Key) > outbox.MaxFieldLen {
			return fmt.Errorf("contactlog: timers of %s: timer %d needs a key (at most %d bytes) and a customer: %w",
				subscriber, i, outbox.MaxFieldLen, ErrInvalid)
		}
		payload, err := json.Marshal(TimerPayload{Customer: t.Customer, At: t.At.UTC()})
		if err != nil {
			return fmt.Errorf("contactlog: timers of %s: %w", subscriber, err)
		}
		msgs[i] = outbox.Message{Tenant: tenant, Topic: TopicTimer, Recipient: subscriber, Key: t.Key, Payload: payload, NotBefore: t.At}
	}
	if err := outbox.Enqueue(ctx, s.svc.db, msgs...); err != nil {
		return fmt.Errorf("contactlog: timers of %s: %w", subscriber, err)
	}
	return nil
}

// TimerEventData is what an event subscriber learns at the delivery of a
// timer: the timer's customer (deleted or not) and the customer's most
// recent records, not deleted, of the subscriber's templates, newest first
// by Record.Time.
type TimerEventData struct {
	Customer      *EventCustomer
	RecentRecords []Record
}

// TimerEvent loads the data of a timer about the customer id of tenant for
// delivery to a subscriber: the customer and at most limit of their latest
// records of templates. Like RecordEvent it reads for the system, without
// permission checks, confined to the tenant; a purged customer is
// ErrNotFound.
func (s *System) TimerEvent(ctx context.Context, tenant, id uuid.UUID, templates []string, limit int) (*TimerEventData, error) {
	c, err := s.customers.EventCustomer(ctx, tenant, id)
	if err != nil {
		return nil, fmt.Errorf("contactlog: timer event %s: %w", id, err)
	}
	out := &TimerEventData{Customer: c}
	if len(templates) == 0 || limit <= 0 {
		return out, nil
	}
	out.RecentRecords, err = s.svc.scan(ctx, s.svc.db, tenant, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("r.tenant_id = ?", tenant).Where("r.customer_id = ?", id).
			Where("r.template_key IN (?)", bun.List(templates)).Where("r.deleted_at IS NULL").
			OrderExpr("r.occurred_at DESC, r.id DESC").Limit(int64(limit))
	})
	if err != nil {
		return nil, fmt.Errorf("contactlog: timer event %s: %w", id, err)
	}
	return out, nil
}
