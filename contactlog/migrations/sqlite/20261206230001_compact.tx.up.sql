-- A smaller SQLite file (issue 21: 100 000 records of a small business).
--
-- The people and scope rows of a record are nothing but their primary key
-- (and a position): as rowid tables each was stored twice, once in the
-- table and once in its primary key's index. WITHOUT ROWID tables are
-- their primary key's b-tree, which every lookup here goes through
-- (tenant, record, …) anyway; the people index by user stays as it was.
CREATE TABLE contact_record_people_new (
    record_id TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    role      text NOT NULL CHECK (role IN ('responder', 'participant', 'report_to')),
    tenant_id TEXT NOT NULL,
    position  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, record_id, user_id, role),
    FOREIGN KEY (tenant_id, record_id) REFERENCES contact_records (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
--bun:split
INSERT INTO contact_record_people_new (record_id, user_id, role, tenant_id, position)
SELECT record_id, user_id, role, tenant_id, position FROM contact_record_people;
--bun:split
DROP TABLE contact_record_people;
--bun:split
ALTER TABLE contact_record_people_new RENAME TO contact_record_people;
--bun:split
CREATE INDEX contact_record_people_user ON contact_record_people (tenant_id, user_id, role, record_id);
--bun:split
CREATE TABLE contact_record_scope_new (
    record_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, record_id, target_id),
    FOREIGN KEY (tenant_id, record_id) REFERENCES contact_records (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
--bun:split
INSERT INTO contact_record_scope_new (record_id, target_id, tenant_id)
SELECT record_id, target_id, tenant_id FROM contact_record_scope;
--bun:split
DROP TABLE contact_record_scope;
--bun:split
ALTER TABLE contact_record_scope_new RENAME TO contact_record_scope;
--bun:split
-- A customer's latest progress and next planned contact (CustomerStatuses)
-- are the first row of the customer's records by actual or planned time.
-- Led by customer_id alone, the indexes matched one equality term and
-- tied with the tenant's planned-time index, which also serves the order:
-- SQLite, without statistics, walked every future plan of the tenant for
-- each customer. Led by (tenant_id, customer_id) they match two and win.
DROP INDEX IF EXISTS contact_records_customer_actual;
--bun:split
CREATE INDEX contact_records_customer_actual ON contact_records (tenant_id, customer_id, actual_at, id) WHERE deleted_at IS NULL AND actual_at IS NOT NULL;
--bun:split
DROP INDEX IF EXISTS contact_records_customer_planned;
--bun:split
CREATE INDEX contact_records_customer_planned ON contact_records (tenant_id, customer_id, planned_at, id) WHERE deleted_at IS NULL AND planned_at IS NOT NULL;
