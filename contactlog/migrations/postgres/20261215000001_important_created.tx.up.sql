-- The important-only filter of a search sorted by entry time
-- (Query.ImportantOnly). About one record in twenty is marked important;
-- walking contact_records_created for them reads the tenant's records
-- newest first and drops the others — and, for a principal who sees few
-- of the tenant's records (a staff member in the "assigned" customer
-- visibility mode, a partner), those they may not see: most of a tenant
-- of 1 000 000 records for one page (0.26–0.29 s). This walks the
-- important records only, newest first. PostgreSQL only, as the template
-- and progress filters' indexes.
CREATE INDEX IF NOT EXISTS contact_records_important_created ON contact_records (tenant_id, created_at, id) WHERE deleted_at IS NULL AND important;
