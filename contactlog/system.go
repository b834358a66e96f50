package contactlog

import (
	"fmt"

	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer"
)

// System is the record engine's trusted handle: the calls of the
// installation's own machinery, which take the tenant as an argument and
// skip every permission check — loading what an event subscriber learns
// (RecordEvent, CustomerEvent, TimerEvent), enqueueing what a subscriber
// answers (EnqueueNotifications, EnqueueTimers) and the outbox handlers
// that deliver the engine's mails (Handlers).
//
// It is kept apart from Service on purpose. Request code (HTTP handlers)
// is given a *Service, whose every call is scoped by the principal in its
// context; nothing reachable from a Service returns a System. A System is
// built by NewSystem from the database handle, which only the wiring code
// that opens the database holds, so that holding a Service never grants
// the trusted calls. Wiring code builds both from the same Config and
// gives the System only to trusted consumers: the outbox dispatcher and
// the plugin host.
type System struct {
	svc       *Service
	customers *customer.System
}

// NewSystem returns the trusted handle on db (a *bun.DB, or a bun.Tx)
// with the configuration cfg, which is read as by NewService (the same
// defaults and the same checks; pass the Config the Service was built
// with, so that mails go through the same Mailer and Channels) and must
// also carry Customers.
func NewSystem(db bun.IDB, cfg *Config) (*System, error) {
	if cfg == nil || cfg.Customers == nil {
		return nil, fmt.Errorf("contactlog: config: Customers is required by NewSystem (customer.NewSystem on the same database): %w", ErrInvalid)
	}
	svc, err := NewService(db, cfg)
	if err != nil {
		return nil, err
	}
	return &System{svc: svc, customers: cfg.Customers}, nil
}

// WithDB returns a copy of s bound to db, typically a transaction shared
// with other engines, so that everything it reads and enqueues (its
// record engine as Service.WithDB binds it, and the customer handle)
// commits or rolls back with the transaction.
func (s *System) WithDB(db bun.IDB) *System {
	return &System{svc: s.svc.WithDB(db), customers: s.customers.WithDB(db)}
}
