-- Each live record under each assignee of its customer (担当者), with the
-- record's time (occurred_at), so that a calendar reads the records of the
-- customers a staff member is in charge of in a month from one index range
-- per staff member, instead of probing the records of every customer they
-- are assigned to (a group of 13 had 8 170 customers to probe for a month
-- of about 2 500 records). It holds keys only: the calendar joins the
-- record itself for what it shows and for its visibility.
--
-- Kept by triggers in the transaction of every write, whichever package
-- writes: inserts, updates and deletes of contact_records (a change of
-- customer, of time or of deletion rewrites the record's rows; a hard
-- delete cascades), and of customer_assignees (the customer's live records
-- under the user come and go with the assignment; a customer's hard delete
-- cascades through it). Inserts of records and every write of assignees
-- are handled per statement, from their transition tables, so that an
-- import's multi-row INSERT or COPY of assignees costs one join, not a
-- trigger call per row; each row of the statement looks its matches up by
-- index (the functions turn hash and merge joins off: the planner hashed
-- every record of the tenants instead, 1.9 s for a statement of 5 000
-- assignees on 1 000 000 records). A deleted record has no rows, so the
-- triggers find a customer's rows through its live records (the index
-- contact_records_customer).
CREATE TABLE IF NOT EXISTS contact_record_assignees (
    tenant_id   uuid NOT NULL,
    record_id   uuid NOT NULL,
    user_id     uuid NOT NULL,
    occurred_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, record_id, user_id),
    FOREIGN KEY (tenant_id, record_id) REFERENCES contact_records (tenant_id, id) ON DELETE CASCADE
);
--bun:split
-- The table is filled here with its writers held off until the migration
-- commits.
LOCK TABLE contact_records, customer_assignees IN SHARE ROW EXCLUSIVE MODE;
--bun:split
INSERT INTO contact_record_assignees (tenant_id, record_id, user_id, occurred_at)
SELECT r.tenant_id, r.id, ca.user_id, r.occurred_at
FROM contact_records AS r JOIN customer_assignees AS ca ON ca.tenant_id = r.tenant_id AND ca.customer_id = r.customer_id
WHERE r.deleted_at IS NULL
ON CONFLICT DO NOTHING;
--bun:split
CREATE INDEX IF NOT EXISTS contact_record_assignees_user ON contact_record_assignees (tenant_id, user_id, occurred_at, record_id);
--bun:split
-- New records, per statement.
CREATE OR REPLACE FUNCTION contact_record_assignees_records_added() RETURNS trigger
LANGUAGE plpgsql SET enable_hashjoin = off SET enable_mergejoin = off AS $$
BEGIN
    INSERT INTO contact_record_assignees (tenant_id, record_id, user_id, occurred_at)
    SELECT r.tenant_id, r.id, ca.user_id, r.occurred_at
    FROM added_records AS r JOIN customer_assignees AS ca ON ca.tenant_id = r.tenant_id AND ca.customer_id = r.customer_id
    WHERE r.deleted_at IS NULL;
    RETURN NULL;
END
$$;
--bun:split
-- A record whose customer, time or deletion changed: its rows are
-- written anew.
CREATE OR REPLACE FUNCTION contact_record_assignees_record_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM contact_record_assignees WHERE tenant_id = OLD.tenant_id AND record_id = OLD.id;
    IF NEW.deleted_at IS NULL THEN
        INSERT INTO contact_record_assignees (tenant_id, record_id, user_id, occurred_at)
        SELECT NEW.tenant_id, NEW.id, ca.user_id, NEW.occurred_at
        FROM customer_assignees AS ca WHERE ca.tenant_id = NEW.tenant_id AND ca.customer_id = NEW.customer_id;
    END IF;
    RETURN NULL;
END
$$;
--bun:split
-- Assignments, per statement: the customers' live records leave the
-- removed assignees (a DELETE, or an UPDATE's old rows: the engines insert
-- and delete assignments, an embedder's own UPDATE is followed all the
-- same) and come under the added ones (an INSERT, or an UPDATE's new rows).
-- PostgreSQL gives a trigger with transition tables one event, so one
-- trigger per event calls this function.
CREATE OR REPLACE FUNCTION contact_record_assignees_assignments() RETURNS trigger
LANGUAGE plpgsql SET enable_hashjoin = off SET enable_mergejoin = off AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        DELETE FROM contact_record_assignees AS x
        USING removed_assignees AS ca, contact_records AS r
        WHERE r.tenant_id = ca.tenant_id AND r.customer_id = ca.customer_id AND r.deleted_at IS NULL
          AND x.tenant_id = r.tenant_id AND x.record_id = r.id AND x.user_id = ca.user_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO contact_record_assignees (tenant_id, record_id, user_id, occurred_at)
        SELECT r.tenant_id, r.id, ca.user_id, r.occurred_at
        FROM added_assignees AS ca JOIN contact_records AS r ON r.tenant_id = ca.tenant_id AND r.customer_id = ca.customer_id
        WHERE r.deleted_at IS NULL
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
--bun:split
DROP TRIGGER IF EXISTS contact_record_assignees_records_added ON contact_records;
--bun:split
CREATE TRIGGER contact_record_assignees_records_added AFTER INSERT ON contact_records
    REFERENCING NEW TABLE AS added_records
    FOR EACH STATEMENT EXECUTE FUNCTION contact_record_assignees_records_added();
--bun:split
DROP TRIGGER IF EXISTS contact_record_assignees_record_changed ON contact_records;
--bun:split
CREATE TRIGGER contact_record_assignees_record_changed AFTER UPDATE ON contact_records
    FOR EACH ROW
    WHEN (OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.occurred_at <> NEW.occurred_at
          OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL))
    EXECUTE FUNCTION contact_record_assignees_record_changed();
--bun:split
DROP TRIGGER IF EXISTS contact_record_assignees_assigned ON customer_assignees;
--bun:split
CREATE TRIGGER contact_record_assignees_assigned AFTER INSERT ON customer_assignees
    REFERENCING NEW TABLE AS added_assignees
    FOR EACH STATEMENT EXECUTE FUNCTION contact_record_assignees_assignments();
--bun:split
DROP TRIGGER IF EXISTS contact_record_assignees_unassigned ON customer_assignees;
--bun:split
CREATE TRIGGER contact_record_assignees_unassigned AFTER DELETE ON customer_assignees
    REFERENCING OLD TABLE AS removed_assignees
    FOR EACH STATEMENT EXECUTE FUNCTION contact_record_assignees_assignments();
--bun:split
DROP TRIGGER IF EXISTS contact_record_assignees_reassigned ON customer_assignees;
--bun:split
CREATE TRIGGER contact_record_assignees_reassigned AFTER UPDATE ON customer_assignees
    REFERENCING OLD TABLE AS removed_assignees NEW TABLE AS added_assignees
    FOR EACH STATEMENT EXECUTE FUNCTION contact_record_assignees_assignments();
