-- The record's time (occurred_at: the actual time when set, else the
-- planned time, else its creation) on each of its people rows, written with
-- them and rewritten whenever the record is saved, so that a calendar reads
-- the records a staff member responded to in a month from one index range
-- per person instead of every record they ever responded to. (SQLite adds a
-- NOT NULL column only with a default; the engine always writes it.)
ALTER TABLE contact_record_people ADD COLUMN occurred_at TEXT;
--bun:split
UPDATE contact_record_people SET occurred_at = (SELECT r.occurred_at FROM contact_records AS r
WHERE r.tenant_id = contact_record_people.tenant_id AND r.id = contact_record_people.record_id);
--bun:split
CREATE INDEX IF NOT EXISTS contact_record_people_user_occurred ON contact_record_people (tenant_id, user_id, role, occurred_at, record_id);
