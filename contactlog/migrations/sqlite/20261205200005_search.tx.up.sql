-- Search: sorting by the time of the contact (actual, else planned, else
-- entry) and filtering by planned time across the tenant.
CREATE INDEX IF NOT EXISTS contact_records_occurred ON contact_records (tenant_id, occurred_at, id) WHERE deleted_at IS NULL;
--bun:split
CREATE INDEX IF NOT EXISTS contact_records_planned ON contact_records (tenant_id, planned_at, id) WHERE deleted_at IS NULL AND planned_at IS NOT NULL;
