-- SQLite plans that hold without statistics. The engines never run ANALYZE
-- (sqlite_stat1 stays empty), and SQLite's planner then prefers, among the
-- usable indexes, the one that matches more equality terms. Indexes led by
-- customer_id or record_id alone tied with the tenant-led ones (one
-- equality term each) and lost to those that also serve the ORDER BY: a
-- customer's timeline walked every record of the tenant, and a page's
-- attachments every attachment of the tenant. Led by (tenant_id,
-- customer_id) and (tenant_id, record_id) they match two terms and win.
DROP INDEX IF EXISTS contact_records_customer;
--bun:split
CREATE INDEX contact_records_customer ON contact_records (tenant_id, customer_id, occurred_at, id) WHERE deleted_at IS NULL;
--bun:split
DROP INDEX IF EXISTS contact_attachments_record;
--bun:split
CREATE INDEX contact_attachments_record ON contact_attachments (tenant_id, record_id, created_at, id);
