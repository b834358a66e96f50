-- The template and progress filters of a search sorted by entry time
-- (the default order: Query.Templates, Query.Progress). Walking
-- contact_records_created reads every record of the tenant newest first
-- and drops those of other templates (progress codes) — and, for a
-- principal who sees few of the tenant's records (a staff member in the
-- "assigned" customer visibility mode, a partner), those they may not see:
-- about 50 000 rows for one page at 100 000 records (1.1–1.9 s). These
-- walk the matching records only, newest first (80–100 ms, 35–40 ms for a
-- partner). PostgreSQL only: the SQLite file, which issue 21 keeps small,
-- is unchanged.
CREATE INDEX IF NOT EXISTS contact_records_template_created ON contact_records (tenant_id, template_key, created_at, id) WHERE deleted_at IS NULL;
--bun:split
CREATE INDEX IF NOT EXISTS contact_records_progress_created ON contact_records (tenant_id, progress, created_at, id) WHERE deleted_at IS NULL;
