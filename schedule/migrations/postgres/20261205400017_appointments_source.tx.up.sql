-- The 次回の予定 of a record (NextAppointments) are read by their source record.
CREATE INDEX IF NOT EXISTS schedule_appointments_source ON schedule_appointments (tenant_id, source_record_id) WHERE source_record_id IS NOT NULL;
