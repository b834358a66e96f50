package contactlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/mail"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
)

// Record event kinds: what happened to a record. Restoring a deleted
// record is an update.
const (
	EventRecordCreated = "record.created"
	EventRecordUpdated = "record.updated"
	EventRecordDeleted = "record.deleted"
)

// TopicRecordEvent is the outbox topic of record events: one message per
// event and subscriber (Recipient: the subscriber's name, e.g. a plugin's),
// enqueued in the transaction of the write, so that a write that rolls
// back announces nothing. Key: "<record ID>:<version>", the version the
// write gave the record, which makes the message idempotent and is the
// event's ID for the subscriber. Payload: RecordEventPayload. The record
// engine has no handler for it: the subscriber's side delivers it (the
// plugin host's EventHandlers).
const TopicRecordEvent = "contactlog.record_event"

// RecordEventPayload is the payload of a TopicRecordEvent message.
type RecordEventPayload struct {
	Kind    string    `json:"kind"`
	Record  uuid.UUID `json:"record"`
	Tenant  uuid.UUID `json:"tenant"`
	Version int64     `json:"version"`
	// At is when the write happened (the engine's clock).
	At time.Time `json:"at"`
}

// enqueueEvent enqueues a record event of kind for every subscriber,
// through tx.
func (s *Service) enqueueEvent(ctx context.Context, tx bun.IDB, tenant, id uuid.UUID, version int64, kind string) error {
	return outbox.EnqueueEvents(ctx, tx, s.cfg.Events, TopicRecordEvent, outbox.Event{
		Tenant: tenant, ID: id, Version: version, Kind: kind,
		Payload: RecordEventPayload{Kind: kind, Record: id, Tenant: tenant, Version: version, At: s.now()},
	})
}

// EventCustomer is what an event subscriber learns of a record's customer
// (customer.System.EventCustomer loads it).
type EventCustomer = customer.EventCustomer

// CustomerEvent loads what an event subscriber learns of the customer id
// of tenant at the delivery of a customer event
// (customer.TopicCustomerEvent): customer.System.EventCustomer on the
// handle's database, deleted customers included, without permission
// checks; a purged customer is ErrNotFound.
func (s *System) CustomerEvent(ctx context.Context, tenant, id uuid.UUID) (*EventCustomer, error) {
	return s.customers.EventCustomer(ctx, tenant, id)
}

// RecordEventData is what an event subscriber learns of a record at
// delivery: the record as stored now (deleted or not), its customer (nil
// for a draft), and the customer's records of the same template whose
// time (Record.Time) falls in the record's calendar month in the tenant's
// time zone, the record itself included unless it is deleted, oldest
// first.
type RecordEventData struct {
	Record       Record
	Customer     *EventCustomer
	MonthRecords []Record
}

// RecordEvent loads the data of an event about the record id of tenant
// for delivery to a subscriber. It reads for the system, without a
// principal and without permission checks (the subscriber is a trusted
// extension of the installation, not a user), confined to the tenant; a
// record that no longer exists (purged) is ErrNotFound.
func (s *System) RecordEvent(ctx context.Context, tenant, id uuid.UUID) (*RecordEventData, error) {
	out, err := s.recordEvent(ctx, tenant, id)
	if err != nil {
		return nil, fmt.Errorf("contactlog: record event %s: %w", id, err)
	}
	return out, nil
}

func (s *System) recordEvent(ctx context.Context, tenant, id uuid.UUID) (*RecordEventData, error) {
	rs, err := s.svc.scan(ctx, s.svc.db, tenant, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("r.tenant_id = ?", tenant).Where("r.id = ?", id)
	})
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, ErrNotFound
	}
	out := &RecordEventData{Record: rs[0]}
	r := &out.Record
	if r.Customer == uuid.Nil {
		return out, nil
	}
	if out.Customer, err = s.customers.EventCustomer(ctx, tenant, r.Customer); err != nil {
		return nil, err
	}
	t, err := s.svc.dir.Tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("tenant time zone %q: %w", t.TimeZone, errors.Join(err, ErrInvalid))
	}
	month := monthOf(r.Time(), loc)
	out.MonthRecords, err = s.svc.scan(ctx, s.svc.db, tenant, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("r.tenant_id = ?", tenant).Where("r.customer_id = ?", r.Customer).
			Where("r.template_key = ?", r.Template).Where("r.deleted_at IS NULL").
			Where("r.occurred_at >= ?", month.UTC()).Where("r.occurred_at < ?", month.AddDate(0, 1, 0).UTC()).
			Order("r.occurred_at", "r.id")
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// TopicNotification is the outbox topic of notifications to staff that
// event subscribers ask for (EnqueueNotifications): one message per
// recipient (Recipient: the user ID) and notification key, so that a
// notification reaches each recipient once however often the event that
// caused it is delivered. Payload: NotificationPayload. Handlers mails it.
const TopicNotification = "contactlog.notification"

// Notification is a message to staff from an event subscriber.
type Notification struct {
	// Recipients are staff of the tenant.
	Recipients []uuid.UUID
	// Subject is one line; Body is plain text (Japanese).
	Subject string
	Body    string
	// Key makes the notification idempotent per recipient; it is scoped
	// by the source given to EnqueueNotifications. Required.
	Key string
}

// NotificationPayload is the payload of a TopicNotification message.
type NotificationPayload struct {
	Source  string `json:"source"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// EnqueueNotifications enqueues ns for delivery by mail (TopicNotification)
// on behalf of source (a subscriber's name, e.g. a plugin's), one message
// per recipient and "<source>:<Key>", and one TopicChannel message per
// configured channel besides each (Config.Channels), all in one statement
// through the handle's database; enqueueing the same notification
// again is a no-op. A notification without a key or recipients, or whose
// key is longer than the outbox allows, is refused with ErrInvalid and
// nothing is enqueued.
func (s *System) EnqueueNotifications(ctx context.Context, tenant uuid.UUID, source string, ns []Notification) error {
	var msgs []outbox.Message
	for i, n := range ns {
		key := source + ":" + n.Key
		if n.Key == "" || len(n.Recipients) == 0 || len(key) > outbox.MaxFieldLen {
			return fmt.Errorf("contactlog: notifications of %s: notification %d needs a key (at most %d bytes with the source) and recipients: %w",
				source, i, outbox.MaxFieldLen, ErrInvalid)
		}
		payload, err := json.Marshal(NotificationPayload{Source: source, Subject: n.Subject, Body: n.Body})
		if err != nil {
			return fmt.Errorf("contactlog: notifications of %s: %w", source, err)
		}
		for _, u := range n.Recipients {
			msgs = append(msgs, outbox.Message{Tenant: tenant, Topic: TopicNotification, Recipient: u.String(), Key: key, Payload: payload})
		}
	}
	msgs, err := s.svc.withChannels(msgs)
	if err == nil {
		err = outbox.Enqueue(ctx, s.svc.db, msgs...)
	}
	if err != nil {
		return fmt.Errorf("contactlog: notifications of %s: %w", source, err)
	}
	return nil
}

// composeNotification builds the mail of a TopicNotification message for
// its recipient. A recipient who left the directory or is no longer active
// gets nothing (a nil user).
func (s *Service) composeNotification(ctx context.Context, m outbox.Message) (*permission.User, mail.Message, error) {
	var p NotificationPayload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return nil, mail.Message{}, outbox.Permanent(fmt.Errorf("payload: %w", err))
	}
	u, err := s.recipient(ctx, m)
	if u == nil || err != nil || !u.Active {
		return nil, mail.Message{}, err
	}
	return u, mail.Message{From: s.cfg.MailFrom, Subject: oneLine(p.Subject), Text: p.Body + "\n"}, nil
}
