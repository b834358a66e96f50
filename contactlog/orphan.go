package contactlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/kirokuhq/kiroku/customer/outbox"
	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/filestore"
)

// TopicCollectOrphans is the outbox topic of orphan-file collections
// (ScheduleOrphanCollection): one message per tenant and UTC day
// (Recipient "attachments", Key the day as 2006-01-02), whose delivery
// runs Attachments.CollectOrphans for the tenant. Payload:
// OrphanCollectionPayload. The handler is in System.Handlers.
const TopicCollectOrphans = "contactlog.collect_orphans"

// OrphanCollectionPayload is the payload of a TopicCollectOrphans message.
type OrphanCollectionPayload struct {
	// OlderThan is Attachments.CollectOrphans' grace period.
	OlderThan time.Duration `json:"older_than"`
}

// ScheduleOrphanCollection enqueues, for each of tenants, a collection of
// the files no attachment refers to (Attachments.CollectOrphans with olderThan, at
// least MinOrphanAge) for the UTC day of now. However many processes call
// it, and however often, a tenant's collection is enqueued once a day (the
// outbox's idempotency key), and the dispatcher that claims it is the
// only one to run it (the outbox's lease); a failed run is retried with
// the dispatcher's backoff. Call it periodically (hourly, say) from each
// process that runs a dispatcher with Handlers, with every tenant's ID.
//
// The collection runs as the system: the audit log records it with the
// nil user as actor and the number of files deleted.
func (s *System) ScheduleOrphanCollection(ctx context.Context, now time.Time, olderThan time.Duration, tenants ...uuid.UUID) error {
	if err := filestore.CheckOrphanAge(olderThan); err != nil {
		return fmt.Errorf("contactlog: schedule orphan collection: %w", err)
	}
	payload, err := json.Marshal(OrphanCollectionPayload{OlderThan: olderThan})
	if err != nil {
		return fmt.Errorf("contactlog: schedule orphan collection: %w", err)
	}
	day := now.UTC().Format(time.DateOnly)
	msgs := make([]outbox.Message, len(tenants))
	for i, t := range tenants {
		msgs[i] = outbox.Message{Tenant: t, Topic: TopicCollectOrphans, Recipient: "attachments", Key: day, Payload: payload}
	}
	if err := outbox.Enqueue(ctx, s.svc.db, msgs...); err != nil {
		return fmt.Errorf("contactlog: schedule orphan collection: %w", err)
	}
	return nil
}

// collectOrphans delivers a TopicCollectOrphans message: the collection of
// the message's tenant, as an administrator who is nobody (the system).
func (s *System) collectOrphans(ctx context.Context, m outbox.Message) error {
	var p OrphanCollectionPayload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return outbox.Permanent(fmt.Errorf("contactlog: orphan collection payload: %w", err))
	}
	system := permission.Principal{Tenant: m.Tenant, Kind: permission.Staff, Roles: []permission.Role{permission.RoleAdmin}}
	_, err := s.svc.collectOrphanBlobs(ctx, system, p.OlderThan)
	if errors.Is(err, ErrInvalid) {
		return outbox.Permanent(err)
	}
	return err
}
