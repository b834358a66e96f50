-- The appointment's range (starts_at, ends_at as schedule_appointments
-- stores them) on each of its staff rows, written with them and rewritten
-- on every update, so that a calendar reads a staff member's appointments
-- of a period from one index range (those ending from its start on: the
-- period and what is planned after it; history before it is never read)
-- instead of every appointment they were ever on. (SQLite adds a NOT NULL
-- column only with a default; the engine always writes them.)
ALTER TABLE schedule_appointment_staff ADD COLUMN starts_at TEXT;
--bun:split
ALTER TABLE schedule_appointment_staff ADD COLUMN ends_at TEXT;
--bun:split
UPDATE schedule_appointment_staff SET
    starts_at = (SELECT ap.starts_at FROM schedule_appointments AS ap WHERE ap.tenant_id = schedule_appointment_staff.tenant_id AND ap.id = schedule_appointment_staff.record_id),
    ends_at = (SELECT ap.ends_at FROM schedule_appointments AS ap WHERE ap.tenant_id = schedule_appointment_staff.tenant_id AND ap.id = schedule_appointment_staff.record_id);
--bun:split
CREATE INDEX IF NOT EXISTS schedule_appointment_staff_user_ends ON schedule_appointment_staff (tenant_id, user_id, ends_at, starts_at, record_id);
