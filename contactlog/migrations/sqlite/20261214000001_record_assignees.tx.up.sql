-- Each live record under each assignee of its customer (担当者), with the
-- record's time (occurred_at), so that a calendar reads the records of the
-- customers a staff member is in charge of in a month from one index range
-- per staff member, instead of probing the records of every customer they
-- are assigned to. It holds keys only: the calendar joins the record
-- itself for what it shows and for its visibility.
--
-- Kept by triggers in the transaction of every write, whichever package
-- writes: inserts and updates of contact_records (a change of customer, of
-- time or of deletion rewrites the record's rows; a hard delete cascades),
-- and inserts, updates and deletes of customer_assignees (the customer's
-- live records under the user come and go with the assignment; a
-- customer's hard delete cascades through it). A deleted record has no
-- rows, so the triggers find a customer's rows through its live records
-- (the index contact_records_customer). WITHOUT ROWID: the key is the
-- table, one B-tree fewer to write with every record created.
CREATE TABLE IF NOT EXISTS contact_record_assignees (
    tenant_id   TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, record_id, user_id),
    FOREIGN KEY (tenant_id, record_id) REFERENCES contact_records (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
--bun:split
INSERT OR IGNORE INTO contact_record_assignees (tenant_id, record_id, user_id, occurred_at)
SELECT r.tenant_id, r.id, ca.user_id, r.occurred_at
FROM contact_records AS r JOIN customer_assignees AS ca ON ca.tenant_id = r.tenant_id AND ca.customer_id = r.customer_id
WHERE r.deleted_at IS NULL;
--bun:split
CREATE INDEX IF NOT EXISTS contact_record_assignees_user ON contact_record_assignees (tenant_id, user_id, occurred_at, record_id);
--bun:split
CREATE TRIGGER IF NOT EXISTS contact_record_assignees_record_added AFTER INSERT ON contact_records
WHEN NEW.deleted_at IS NULL AND NEW.customer_id IS NOT NULL BEGIN
    INSERT INTO contact_record_assignees (tenant_id, record_id, user_id, occurred_at)
    SELECT NEW.tenant_id, NEW.id, ca.user_id, NEW.occurred_at
    FROM customer_assignees AS ca WHERE ca.tenant_id = NEW.tenant_id AND ca.customer_id = NEW.customer_id;
END;
--bun:split
CREATE TRIGGER IF NOT EXISTS contact_record_assignees_record_changed AFTER UPDATE OF customer_id, occurred_at, deleted_at ON contact_records
WHEN OLD.customer_id IS NOT NEW.customer_id OR OLD.occurred_at IS NOT NEW.occurred_at
    OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL) BEGIN
    DELETE FROM contact_record_assignees WHERE tenant_id = OLD.tenant_id AND record_id = OLD.id;
    INSERT INTO contact_record_assignees (tenant_id, record_id, user_id, occurred_at)
    SELECT NEW.tenant_id, NEW.id, ca.user_id, NEW.occurred_at
    FROM customer_assignees AS ca
    WHERE NEW.deleted_at IS NULL AND ca.tenant_id = NEW.tenant_id AND ca.customer_id = NEW.customer_id;
END;
--bun:split
CREATE TRIGGER IF NOT EXISTS contact_record_assignees_assigned AFTER INSERT ON customer_assignees BEGIN
    INSERT OR IGNORE INTO contact_record_assignees (tenant_id, record_id, user_id, occurred_at)
    SELECT r.tenant_id, r.id, NEW.user_id, r.occurred_at
    FROM contact_records AS r WHERE r.tenant_id = NEW.tenant_id AND r.customer_id = NEW.customer_id AND r.deleted_at IS NULL;
END;
--bun:split
CREATE TRIGGER IF NOT EXISTS contact_record_assignees_unassigned AFTER DELETE ON customer_assignees BEGIN
    DELETE FROM contact_record_assignees
    WHERE tenant_id = OLD.tenant_id AND user_id = OLD.user_id AND record_id IN (
        SELECT r.id FROM contact_records AS r
        WHERE r.tenant_id = OLD.tenant_id AND r.customer_id = OLD.customer_id AND r.deleted_at IS NULL);
END;
--bun:split
-- An assignment changed in place (the engines insert and delete them; an
-- embedder's own UPDATE is mirrored all the same).
CREATE TRIGGER IF NOT EXISTS contact_record_assignees_reassigned AFTER UPDATE OF tenant_id, customer_id, user_id ON customer_assignees
WHEN OLD.tenant_id <> NEW.tenant_id OR OLD.customer_id <> NEW.customer_id OR OLD.user_id <> NEW.user_id BEGIN
    DELETE FROM contact_record_assignees
    WHERE tenant_id = OLD.tenant_id AND user_id = OLD.user_id AND record_id IN (
        SELECT r.id FROM contact_records AS r
        WHERE r.tenant_id = OLD.tenant_id AND r.customer_id = OLD.customer_id AND r.deleted_at IS NULL);
    INSERT OR IGNORE INTO contact_record_assignees (tenant_id, record_id, user_id, occurred_at)
    SELECT r.tenant_id, r.id, NEW.user_id, r.occurred_at
    FROM contact_records AS r WHERE r.tenant_id = NEW.tenant_id AND r.customer_id = NEW.customer_id AND r.deleted_at IS NULL;
END;
