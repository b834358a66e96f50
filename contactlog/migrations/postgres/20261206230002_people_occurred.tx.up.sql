-- The record's time (occurred_at: the actual time when set, else the
-- planned time, else its creation) on each of its people rows, written with
-- them and rewritten whenever the record is saved, so that a calendar reads
-- the records a staff member responded to in a month from one index range
-- per person instead of every record they ever responded to.
ALTER TABLE contact_record_people ADD COLUMN IF NOT EXISTS occurred_at timestamptz;
--bun:split
UPDATE contact_record_people AS p SET occurred_at = r.occurred_at
FROM contact_records AS r WHERE r.tenant_id = p.tenant_id AND r.id = p.record_id AND p.occurred_at IS NULL;
--bun:split
ALTER TABLE contact_record_people ALTER COLUMN occurred_at SET NOT NULL;
--bun:split
CREATE INDEX IF NOT EXISTS contact_record_people_user_occurred ON contact_record_people (tenant_id, user_id, role, occurred_at, record_id);
