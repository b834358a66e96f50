-- Search: sorting by the time of the contact (actual, else planned, else
-- entry) and filtering by planned time across the tenant.
CREATE INDEX IF NOT EXISTS contact_records_occurred ON contact_records (tenant_id, occurred_at, id) WHERE deleted_at IS NULL;
--bun:split
CREATE INDEX IF NOT EXISTS contact_records_planned ON contact_records (tenant_id, planned_at, id) WHERE deleted_at IS NULL AND planned_at IS NOT NULL;
--bun:split
-- A finer element histogram of the bigram column: PostgreSQL then knows the
-- frequency of far more bigrams, and for a bigram it does not know assumes
-- a rarer one. Without it, an absent or rare two-character term looks
-- common enough for the planner to walk the newest records instead of
-- asking the GIN index — a scan of the whole tenant when nothing matches.
ALTER TABLE contact_records ALTER COLUMN grams SET STATISTICS 1000;
