-- Aggregations over one template and a period (report: a monthly sum over
-- a year) read the records of that template by time; without the template
-- in the index they read every record of the period and filter most away.
CREATE INDEX IF NOT EXISTS contact_records_template_occurred ON contact_records (tenant_id, template_key, occurred_at, id) WHERE deleted_at IS NULL;
