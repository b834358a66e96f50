package customer

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/permission"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// System is the customer engine's trusted handle: its calls take the
// tenant as an argument and read without a principal and without
// permission checks, for the installation's own machinery (event delivery
// to plugins), never for a user's request.
//
// It is kept apart from Service on purpose. Request code (HTTP handlers)
// is given a *Service, whose every call is scoped by the principal in its
// context; nothing reachable from a Service returns a System. A System is
// built by NewSystem from the database handle, which only the wiring code
// that opens the database holds, so that holding a Service never grants
// the trusted calls.
type System struct {
	db bun.IDB
}

// NewSystem returns the trusted handle on db (a *bun.DB, or a bun.Tx).
// Call it from wiring code, next to NewService, and hand the result only
// to trusted consumers such as the plugin host.
func NewSystem(db bun.IDB) (*System, error) {
	if _, err := storage.Of(db); err != nil {
		return nil, err
	}
	return &System{db: db}, nil
}

// WithDB returns a copy of s bound to db, typically a transaction shared
// with other engines.
func (s *System) WithDB(db bun.IDB) *System {
	c := *s
	c.db = db
	return &c
}

// EventCustomer loads what an event subscriber learns of the customer id
// of tenant, deleted or not, for delivery. It reads for the system,
// without a principal and without permission checks (the subscriber is a
// trusted extension of the installation, not a user), confined to the
// tenant; a customer that no longer exists (purged) is ErrNotFound.
func (s *System) EventCustomer(ctx context.Context, tenant, id uuid.UUID) (*EventCustomer, error) {
	var r row
	err := s.db.NewSelect().Model(&r).ExcludeColumn("grams").Where("c.tenant_id = ?", tenant).Where("c.id = ?", id).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("customer: event customer %s: %w", id, storage.Err(err))
	}
	cs := []Customer{r.Customer}
	if err := loadAssignees(ctx, s.db, tenant, cs); err != nil {
		return nil, fmt.Errorf("customer: event customer %s: %w", id, err)
	}
	c := &cs[0]
	return &EventCustomer{ID: c.ID, Name: c.DisplayName(), Fields: c.Custom, Assignees: c.Assignees}, nil
}

// CollectOrphanFiles runs Files.CollectOrphans for tenant as the system —
// an administrator who is nobody —, for the installation's maintenance job
// (a timer or an outbox message), never for a user's request. svc gives
// the blob store and the clock (its Config); the database is the System's.
// The run is recorded in the audit log without a user.
func (s *System) CollectOrphanFiles(ctx context.Context, svc *Service, tenant uuid.UUID, olderThan time.Duration) (int, error) {
	system := permission.Principal{Tenant: tenant, Kind: permission.Staff, Roles: []permission.Role{permission.RoleAdmin}}
	n, err := svc.WithDB(s.db).collectOrphanFiles(ctx, system, olderThan)
	if err != nil {
		return n, fmt.Errorf("customer: collect orphan files: %w", err)
	}
	return n, nil
}
