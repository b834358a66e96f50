-- The end of a contact (終了日時): planned or actual, beside its start.
ALTER TABLE contact_records ADD COLUMN IF NOT EXISTS end_at timestamptz;
