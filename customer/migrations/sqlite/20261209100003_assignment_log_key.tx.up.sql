-- A smaller SQLite file (issue 21): the assignment log was three b-trees —
-- the rowid table, its (tenant_id, id) key and the (tenant_id, customer_id,
-- changed_at) index — and every query reads it by customer: a customer's
-- history (AssignmentHistory, oldest first by changed_at, id) and the
-- cascade of a customer's purge. Nothing looks an entry up by its ID. The
-- table becomes a WITHOUT ROWID table keyed by (tenant_id, customer_id,
-- changed_at, id): one b-tree that is the history in its order (id keeps
-- the key unique).
CREATE TABLE customer_assignment_log_new (
    id          TEXT NOT NULL,
    tenant_id   TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    from_user   TEXT,
    to_user     TEXT,
    batch_id    TEXT,
    changed_at  TEXT NOT NULL,
    changed_by  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, customer_id, changed_at, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
--bun:split
INSERT INTO customer_assignment_log_new (id, tenant_id, customer_id, from_user, to_user, batch_id, changed_at, changed_by)
SELECT id, tenant_id, customer_id, from_user, to_user, batch_id, changed_at, changed_by FROM customer_assignment_log;
--bun:split
DROP TABLE customer_assignment_log;
--bun:split
ALTER TABLE customer_assignment_log_new RENAME TO customer_assignment_log;
