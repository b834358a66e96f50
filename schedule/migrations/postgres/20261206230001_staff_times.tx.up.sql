-- The appointment's range (starts_at, ends_at as schedule_appointments
-- stores them) on each of its staff rows, written with them and rewritten
-- on every update, so that a calendar reads a staff member's appointments
-- of a period from one index range (those ending from its start on: the
-- period and what is planned after it; history before it is never read)
-- instead of every appointment they were ever on.
ALTER TABLE schedule_appointment_staff ADD COLUMN IF NOT EXISTS starts_at timestamptz;
--bun:split
ALTER TABLE schedule_appointment_staff ADD COLUMN IF NOT EXISTS ends_at timestamptz;
--bun:split
UPDATE schedule_appointment_staff AS st SET starts_at = ap.starts_at, ends_at = ap.ends_at
FROM schedule_appointments AS ap WHERE ap.tenant_id = st.tenant_id AND ap.id = st.record_id AND st.starts_at IS NULL;
--bun:split
ALTER TABLE schedule_appointment_staff ALTER COLUMN starts_at SET NOT NULL;
--bun:split
ALTER TABLE schedule_appointment_staff ALTER COLUMN ends_at SET NOT NULL;
--bun:split
CREATE INDEX IF NOT EXISTS schedule_appointment_staff_user_ends ON schedule_appointment_staff (tenant_id, user_id, ends_at, starts_at, record_id);
