package storage

// OutboxDueTenants is the statement that lists tenants with due outbox
// messages, those with the oldest due message first, for a claim per tenant
// (OutboxClaim): on a database distributed by tenant (Citus), FOR UPDATE
// SKIP LOCKED is allowed only within one shard. It locks nothing; a tenant
// whose messages another dispatcher claims meanwhile just yields fewer rows.
//
// Positional arguments: ?0 now (time.Time), ?1 topics (bun.List), ?2 limit
// (int). The statement returns the column tenant_id.
const OutboxDueTenants = `SELECT tenant_id FROM outbox_messages
WHERE status = 'pending' AND topic IN (?1)
  AND (next_attempt_at IS NULL OR next_attempt_at <= ?0)
  AND (claimed_until IS NULL OR claimed_until <= ?0)
GROUP BY tenant_id
ORDER BY MIN(CAST(id AS text))
LIMIT ?2`

// OutboxClaim returns the statement that leases due outbox messages of one
// tenant to one dispatcher, for the dialect d. It is one statement, so the
// choice of rows and the lease commit together:
//
//   - PostgreSQL: an UPDATE over a sub-select with FOR UPDATE SKIP LOCKED,
//     so concurrent dispatchers pass over each other's rows instead of
//     waiting for them, and a row leased by a transaction that committed in
//     the meantime is re-checked (and dropped) before it is updated.
//   - SQLite: an UPDATE … WHERE id IN (sub-select) … RETURNING. SQLite has
//     one writer at a time and the statement takes the write lock before it
//     reads, so two dispatchers can never lease the same row.
//
// A row is due when it is the tenant's, its status is 'pending', its topic
// is one of the dispatcher's, next_attempt_at is NULL or not after now, and
// it has no lease or an expired one. Claiming sets claimed_by and
// claimed_until and increments attempts; the oldest rows (by UUIDv7 id) go
// first.
//
// Positional arguments: ?0 claimed_by (string), ?1 claimed_until
// (time.Time), ?2 now (time.Time), ?3 topics (bun.List), ?4 limit (int), ?5
// tenant (uuid.UUID).
// The statement returns the columns id, tenant_id, topic, recipient,
// idempotency_key, payload, attempts and created_at of the leased rows, in
// no particular order.
func OutboxClaim(d Dialect) string {
	if d == Postgres {
		return `UPDATE outbox_messages AS m
SET claimed_by = ?0, claimed_until = ?1, attempts = m.attempts + 1
FROM (
	SELECT id FROM outbox_messages
	WHERE tenant_id = ?5 AND status = 'pending' AND topic IN (?3)
	  AND (next_attempt_at IS NULL OR next_attempt_at <= ?2)
	  AND (claimed_until IS NULL OR claimed_until <= ?2)
	ORDER BY id
	LIMIT ?4
	FOR UPDATE SKIP LOCKED
) AS due
WHERE m.tenant_id = ?5 AND m.id = due.id
RETURNING m.id, m.tenant_id, m.topic, m.recipient, m.idempotency_key, m.payload, m.attempts, m.created_at`
	}
	return `UPDATE outbox_messages
SET claimed_by = ?0, claimed_until = ?1, attempts = attempts + 1
WHERE tenant_id = ?5 AND id IN (
	SELECT id FROM outbox_messages
	WHERE tenant_id = ?5 AND status = 'pending' AND topic IN (?3)
	  AND (next_attempt_at IS NULL OR next_attempt_at <= ?2)
	  AND (claimed_until IS NULL OR claimed_until <= ?2)
	ORDER BY id
	LIMIT ?4
)
RETURNING id, tenant_id, topic, recipient, idempotency_key, payload, attempts, created_at`
}
