package permission

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/kirokuhq/kiroku/customer/validation"
	"github.com/kirokuhq/kiroku/internal/storage"
)

// AuditEntry is one line of the append-only audit log: who did what to
// which object, when. Detail never holds personal data (names, phone
// numbers): only codes and IDs, so that purging a customer leaves no
// personal data behind in the log.
type AuditEntry struct {
	bun.BaseModel `bun:"table:audit_log,alias:al"`
	ID            uuid.UUID `bun:"id,pk" json:"id"`
	Tenant        uuid.UUID `bun:"tenant_id" json:"tenant"`
	Actor         uuid.UUID `bun:"actor_id" json:"actor"`
	ActorKind     Kind      `bun:"actor_kind" json:"actor_kind"`
	// Action is an Action, or an engine-specific verb such as "purge",
	// "restore" or "import".
	Action string `bun:"action" json:"action"`
	// ObjectType names the kind of object, e.g. "customer".
	ObjectType string     `bun:"object_type" json:"object_type"`
	Object     *uuid.UUID `bun:"object_id" json:"object,omitempty"`
	At         time.Time  `bun:"at" json:"at"`
	Detail     string     `bun:"detail" json:"detail,omitempty"`
}

// Audit appends an entry for p to the log through db, which should be the
// transaction of the change it records, so that the entry and the change
// commit together. object may be uuid.Nil for actions on no single object
// (an export of a search).
func Audit(ctx context.Context, db bun.IDB, p Principal, at time.Time, action, objectType string, object uuid.UUID, detail string) error {
	kind := p.Kind
	if kind == "" {
		kind = Staff
	}
	e := AuditEntry{ID: uuid.Must(uuid.NewV7()), Tenant: p.Tenant, Actor: p.User, ActorKind: kind,
		Action: action, ObjectType: objectType, At: at.UTC().Truncate(time.Microsecond), Detail: detail}
	if object != uuid.Nil {
		e.Object = &object
	}
	_, err := db.NewInsert().Model(&e).Exec(ctx)
	return storage.Err(err)
}

// AuditQuery selects audit entries of the principal's tenant. Zero fields
// do not filter.
type AuditQuery struct {
	ObjectType string
	Object     uuid.UUID
	Actor      uuid.UUID
	// From and To bound At: From ≤ At < To.
	From, To time.Time
	// Limit defaults to 100, at most 1000. Entries come newest first.
	Limit int
	// Before continues a listing: the last entry of the previous page,
	// whose At and ID place the cursor (the entries after it in the
	// order, At and then ID descending). Nil starts at the newest entry.
	Before *AuditEntry
}

// AuditLog returns entries of the principal's tenant, newest first. Admins
// only.
func AuditLog(ctx context.Context, db bun.IDB, q AuditQuery) ([]AuditEntry, error) {
	p, err := RequireRole(ctx, RoleAdmin)
	if err != nil {
		return nil, err
	}
	switch {
	case q.Limit == 0:
		q.Limit = 100
	case q.Limit < 0 || q.Limit > 1000:
		var v validation.Error
		v.Add("limit", validation.CodeOutOfRange, "1..1000")
		return nil, fmt.Errorf("permission: audit log: %w", &v)
	}
	if q.Before != nil && (q.Before.ID == uuid.Nil || q.Before.At.IsZero()) {
		var v validation.Error
		v.Add("before", validation.CodeRequired, "id and at")
		return nil, fmt.Errorf("permission: audit log: %w", &v)
	}
	var out []AuditEntry
	sel := db.NewSelect().Model(&out).Where("al.tenant_id = ?", p.Tenant)
	if q.ObjectType != "" {
		sel.Where("al.object_type = ?", q.ObjectType)
	}
	if q.Object != uuid.Nil {
		sel.Where("al.object_id = ?", q.Object)
	}
	if q.Actor != uuid.Nil {
		sel.Where("al.actor_id = ?", q.Actor)
	}
	if !q.From.IsZero() {
		sel.Where("al.at >= ?", q.From.UTC())
	}
	if !q.To.IsZero() {
		sel.Where("al.at < ?", q.To.UTC())
	}
	// The cursor is a range of the SQLite table's key (tenant_id, at, id)
	// and of PostgreSQL's (tenant_id, at) index: no entry is looked up by
	// ID.
	if q.Before != nil {
		sel.Where("(al.at, al.id) < (?, ?)", q.Before.At.UTC(), q.Before.ID)
	}
	if err := sel.OrderExpr("al.at DESC, al.id DESC").Limit(int64(q.Limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("permission: audit log: %w", storage.Err(err))
	}
	return out, nil
}
