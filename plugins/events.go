package plugins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/contactlog"
	"github.com/kirokuhq/kiroku/customer"
	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/plugins/internal/wire"
	"github.com/kirokuhq/kiroku/plugins/sdk"
)

var _ outbox.Subscribers = (*Host)(nil)

// Subscribers returns the names of the plugins that want events of kind
// in tenant (contactlog.EventSubscribers, outbox.Subscribers):
// those the tenant installed (Install) whose last manifest lists kind in
// its event kinds and that are running or restarting. A plugin that is
// unavailable or stopped misses the events written meanwhile.
//
// The installations are read from Config.DB, outside the write's
// transaction and within CallTimeout (on SQLite the database needs a
// connection besides the write's, which WAL and the default pool give).
// If they cannot be read, every plugin wanting kind is named and the error
// logged: each message is checked again when it is delivered, and one for
// a tenant that has not installed its plugin is dropped, so no event is
// lost and none reaches a plugin the tenant has not installed.
func (h *Host) Subscribers(tenant uuid.UUID, kind string) []string {
	var wanting []string
	for _, p := range h.procs {
		p.mu.Lock()
		wants := (p.state == StateRunning || p.state == StateRestarting) && p.manifest != nil && slices.Contains(p.manifest.events, kind)
		p.mu.Unlock()
		if wants {
			wanting = append(wanting, p.spec.Name)
		}
	}
	if len(wanting) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.CallTimeout)
	defer cancel()
	out, err := h.installedIn(ctx, tenant, wanting)
	if err != nil {
		h.log.Error("plugins: subscribers: delivery will check the installations", "tenant", tenant, "kind", kind, "error", err)
		return wanting
	}
	return out
}

// EventHandlers returns the outbox handlers that deliver record and
// customer events and due timers to plugins, by topic
// (contactlog.TopicRecordEvent, customer.TopicCustomerEvent,
// contactlog.TopicTimer); merge them into the
// handlers given to outbox.NewDispatcher with those of
// records.Handlers(), which mails the plugins' notifications:
//
//	handlers := records.Handlers()
//	maps.Copy(handlers, host.EventHandlers(records))
//	d, err := outbox.NewDispatcher(db, handlers, nil)
//
// records is the record engine's trusted handle (contactlog.NewSystem)
// bound to the database (not to a transaction). For each message the handler loads the record, deleted
// or not, its customer (custom fields, assignees) and the customer's
// records of the same template in the record's month in the tenant's time
// zone (contactlog.System.RecordEvent, a system read without permission
// checks: an installed plugin is trusted with its tenants' records), and
// calls the plugin's HandleEvent with the message's key ("<record
// ID>:<version>") as the event ID, so that a redelivered event carries the
// same ID. A purged record's event is dropped.
//
// For a customer event the handler loads the customer, deleted or not
// (name, custom fields, assignees: contactlog.System.CustomerEvent, the
// same kind of system read), and the event has Customer set and no
// Record; a purged customer's event is dropped.
//
// For a due timer (contactlog.TopicTimer) the event has kind timer, the
// timer's key as ID and TimerKey, the timer's time as At, its customer
// (deleted or not) and RecentRecords: the customer's latest 20 records,
// not deleted, of the plugin's templates, newest first
// (contactlog.System.TimerEvent, the same kind of system read); a purged
// customer's timer is dropped.
//
// The timers the plugin answers are enqueued in the outbox
// (contactlog.System.EnqueueTimers, under the plugin's name), each due
// at its time; a key the plugin set before in the tenant is not set
// again.
//
// The notifications the plugin answers are enqueued in the outbox
// (contactlog.System.EnqueueNotifications, under the plugin's name), one
// message per recipient and notification key: the record engine mails each
// to the recipient's directory e-mail address, and hands it to each of its
// Config.Channels (Host.Channels), once, however often the event is
// delivered. A notification without a key gets the event's ID
// and its position as key.
//
// A message for a tenant that has not installed its plugin (or has
// uninstalled it since) is dropped without loading anything. A plugin
// that is not running or does not answer fails the delivery,
// which the dispatcher retries with backoff up to its MaxAttempts; a
// plugin that answers nonsense (a recipient that is not a user ID, a
// timer whose customer is not a customer ID, a key too long) fails it
// permanently.
func (h *Host) EventHandlers(records *contactlog.System) map[string]outbox.Handler {
	return map[string]outbox.Handler{
		contactlog.TopicRecordEvent: outbox.HandlerFunc(func(ctx context.Context, m outbox.Message) error {
			return h.deliver(ctx, records, m, func(ctx context.Context) (sdk.Event, error) {
				var p contactlog.RecordEventPayload
				if err := json.Unmarshal(m.Payload, &p); err != nil {
					return sdk.Event{}, outbox.Permanent(fmt.Errorf("payload: %w", err))
				}
				data, err := records.RecordEvent(ctx, m.Tenant, p.Record)
				if err != nil {
					return sdk.Event{}, err
				}
				return eventToAPI(m.Key, p, data), nil
			})
		}),
		customer.TopicCustomerEvent: outbox.HandlerFunc(func(ctx context.Context, m outbox.Message) error {
			return h.deliver(ctx, records, m, func(ctx context.Context) (sdk.Event, error) {
				var p customer.EventPayload
				if err := json.Unmarshal(m.Payload, &p); err != nil {
					return sdk.Event{}, outbox.Permanent(fmt.Errorf("payload: %w", err))
				}
				c, err := records.CustomerEvent(ctx, m.Tenant, p.Customer)
				if err != nil {
					return sdk.Event{}, err
				}
				return sdk.Event{ID: m.Key, Kind: p.Kind, Tenant: p.Tenant.String(), At: p.At, Customer: customerToAPI(c)}, nil
			})
		}),
		contactlog.TopicTimer: h.timerHandler(records),
	}
}

// deliver delivers the event message m to its plugin: a message of a
// tenant that has not installed the plugin is dropped, load builds the
// event (a purged object's ErrNotFound drops the message), the plugin
// handles it, and its notifications are enqueued.
func (h *Host) deliver(ctx context.Context, records *contactlog.System, m outbox.Message, load func(context.Context) (sdk.Event, error)) error {
	if err := h.deliverEvent(ctx, records, m, load); err != nil {
		return fmt.Errorf("plugins: %s: deliver %s %s: %w", m.Recipient, m.Topic, m.ID, err)
	}
	return nil
}

func (h *Host) deliverEvent(ctx context.Context, records *contactlog.System, m outbox.Message, load func(context.Context) (sdk.Event, error)) error {
	pc, err := h.proc(m.Recipient)
	if err != nil {
		return err
	}
	if ok, err := h.installed(ctx, m.Tenant, m.Recipient); err != nil || !ok {
		return err // not installed: nothing to tell
	}
	e, err := load(ctx)
	if errors.Is(err, contactlog.ErrNotFound) {
		return nil // purged since: nothing left to tell
	}
	if err != nil {
		return err
	}
	var answered sdk.EventResult
	err = pc.call(ctx, "event", func(ctx context.Context, c *wire.Client, _ *manifest) error {
		answered, err = c.HandleEvent(ctx, e)
		return err
	})
	if err != nil {
		return err
	}
	ns, err := notificationsFromAPI(e.ID, answered.Notifications)
	if err != nil {
		return outbox.Permanent(err)
	}
	ts, err := timersFromAPI(answered.Timers)
	if err != nil {
		return outbox.Permanent(err)
	}
	err = records.EnqueueTimers(ctx, m.Tenant, m.Recipient, ts)
	if err == nil {
		err = records.EnqueueNotifications(ctx, m.Tenant, m.Recipient, ns)
	}
	if errors.Is(err, contactlog.ErrInvalid) {
		return outbox.Permanent(err) // a key too long: asking again gives the same
	}
	return err
}

// eventToAPI builds the event of a TopicRecordEvent message with key id
// from what the record engine loaded.
func eventToAPI(id string, p contactlog.RecordEventPayload, d *contactlog.RecordEventData) sdk.Event {
	e := sdk.Event{ID: id, Kind: p.Kind, Tenant: p.Tenant.String(), At: p.At}
	var fields map[string]any
	if c := d.Customer; c != nil {
		e.Customer = customerToAPI(c)
		fields = c.Fields
	}
	r := recordToAPI(&d.Record, fields)
	e.Record = &r
	for i := range d.MonthRecords {
		e.MonthRecords = append(e.MonthRecords, recordToAPI(&d.MonthRecords[i], fields))
	}
	return e
}

// recordToAPI is what a plugin sees of an event's record r whose customer
// has the custom field values fields.
func recordToAPI(r *contactlog.Record, fields map[string]any) sdk.Record {
	out := recordsToAPI([]contactlog.PluginRecord{{
		ID: r.ID, Tenant: r.Tenant, Template: r.Template, TemplateVersion: r.TemplateVersion,
		Customer: r.Customer, PlannedAt: r.PlannedAt, ActualAt: r.ActualAt, Values: r.Values, Responders: r.Responders,
	}})[0]
	out.CustomerFields = fields
	return out
}

// customerToAPI is what a plugin sees of an event's customer.
func customerToAPI(c *contactlog.EventCustomer) *sdk.Customer {
	out := &sdk.Customer{ID: c.ID.String(), Name: c.Name, Fields: c.Fields}
	for _, u := range c.Assignees {
		out.Assignees = append(out.Assignees, u.String())
	}
	return out
}

// notificationsFromAPI converts the notifications a plugin answered for
// the event id; a notification without a key is keyed by the event and its
// position, one without recipients is left out. A recipient must be a user
// ID.
func notificationsFromAPI(id string, ns []sdk.Notification) ([]contactlog.Notification, error) {
	var out []contactlog.Notification
	for i, n := range ns {
		if len(n.Recipients) == 0 {
			continue
		}
		c := contactlog.Notification{Subject: n.Subject, Body: n.Body, Key: n.Key}
		if c.Key == "" {
			c.Key = fmt.Sprintf("%s#%d", id, i)
		}
		for _, r := range n.Recipients {
			u, err := uuid.Parse(r)
			if err != nil {
				return nil, fmt.Errorf("notification %d: recipient %q is not a user ID: %w", i, r, ErrUnavailable)
			}
			c.Recipients = append(c.Recipients, u)
		}
		out = append(out, c)
	}
	return out, nil
}
