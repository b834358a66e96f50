-- A smaller audit log (issue 21: about one entry per customer and per
-- record, 0.7 KiB each in five b-trees: the table, its (tenant_id, id) key
-- and three indexes, each repeating the 36-character tenant ID).
--
-- The table becomes a WITHOUT ROWID table keyed by (tenant_id, at, id): the
-- b-tree of the rows is itself the tenant's log newest first, which AuditLog
-- reads (ORDER BY at DESC, id DESC, From and To a range of it), so the
-- (tenant_id, at) index goes. A listing by actor walks the same key and
-- checks actor_id in the row it already holds, as the actor index's walk
-- did not save enough to pay for a fourth b-tree: AuditLog is for
-- administrators and stops after a page. The (tenant_id, id) key stays as a
-- unique index (the Before cursor looks an entry up by ID), and the object
-- index stays (an object's history).
CREATE TABLE audit_log_new (
    id          TEXT NOT NULL,
    tenant_id   TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_kind  text NOT NULL,
    action      text NOT NULL,
    object_type text NOT NULL,
    object_id   TEXT,
    at          TEXT NOT NULL,
    detail      text NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, at, id)
) WITHOUT ROWID;
--bun:split
INSERT INTO audit_log_new (id, tenant_id, actor_id, actor_kind, action, object_type, object_id, at, detail)
SELECT id, tenant_id, actor_id, actor_kind, action, object_type, object_id, at, detail FROM audit_log;
--bun:split
DROP TABLE audit_log;
--bun:split
ALTER TABLE audit_log_new RENAME TO audit_log;
--bun:split
CREATE UNIQUE INDEX audit_log_id ON audit_log (tenant_id, id);
--bun:split
CREATE INDEX audit_log_object ON audit_log (tenant_id, object_type, object_id, at);
--bun:split
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
--bun:split
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
