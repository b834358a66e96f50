// Package notify defines how Kiroku reaches staff by a way of its own
// besides e-mail: a chat service, SMS, a push service. An engine that
// notifies people (contactlog's report-to and subscriber notifications
// today; schedule reminders and portal mails later) takes a list of
// Channels in its Config and, wherever it enqueues a notification mail,
// enqueues one outbox message per channel in the same transaction. Its
// outbox handler later composes the notification as the mail would say it
// at that moment and hands it to the channel's Deliver as a Message.
//
// # Delivery guarantees
//
// Deliver is called by the outbox dispatcher (customer/outbox): at least
// once per recipient and notification, with retries and backoff on error.
// After a crash at the wrong moment it may be called again for a
// notification it already delivered; Message.Key is the same each time, so
// a channel that can deduplicate (a chat API's idempotency key) passes it
// on. An error whose Permanent() method returns true (outbox.Permanent)
// gives the notification up instead of retrying it.
//
// # Names
//
// A channel's Name identifies it inside the outbox messages waiting for it,
// so it must be non-empty, contain no ':', be unique among an engine's
// channels and stay the same across restarts; engines refuse a Config that
// breaks the first three rules. A message for a channel that is no longer
// configured fails permanently.
package notify

import (
	"context"

	"github.com/google/uuid"
)

// Channel delivers notifications to staff members by a way of its own.
// Implementations are safe for concurrent use.
type Channel interface {
	// Name identifies the channel (see the package documentation).
	Name() string
	// Deliver sends one notification to one staff member of tenant. It may
	// be called again with the same m.Key after a failure.
	Deliver(ctx context.Context, tenant uuid.UUID, m Message) error
}

// Scoped is implemented by a Channel that serves only some tenants (a
// plugin serves the tenants that installed it). An engine that must tell
// a user beforehand whether a message can go out — the portal refuses an
// SMS invitation in a tenant without an SMS channel — asks Serves; a
// Channel that does not implement it serves every tenant.
type Scoped interface {
	Serves(ctx context.Context, tenant uuid.UUID) (bool, error)
}

// Message is one notification to one staff member, saying what the mail of
// the same notification says — or, when Phone is set, a text message to a
// customer's mobile phone (the portal's SMS invitations).
type Message struct {
	// Recipient is the staff member's user ID; Name and Email are theirs
	// in the directory (Email may be ""). For a message to a customer's
	// phone, Recipient is the customer's ID and Name their name.
	Recipient uuid.UUID
	Name      string
	Email     string
	// Phone is the mobile number a message to a customer goes to (as
	// entered on the customer, e.g. "090-1234-5678"); "" for staff.
	Phone string
	// Subject is one line; Body is plain text, without the mail's footer.
	Subject string
	Body    string
	// Key identifies the notification for this recipient and stays the
	// same across retries: for contactlog, the record's ID for a report-to
	// notification, "<source>:<key>" for a subscriber's.
	Key string
}
