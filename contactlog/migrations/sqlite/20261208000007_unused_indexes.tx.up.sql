-- A smaller SQLite file (issue 21): three record indexes that no query needs.
--
-- contact_record_people_user (tenant_id, user_id, role, record_id) is a
-- prefix of contact_record_people_user_occurred (tenant_id, user_id, role,
-- occurred_at, record_id), which holds the same columns: every lookup of a
-- person's records is as well served, and covered, by the latter.
DROP INDEX IF EXISTS contact_record_people_user;
--bun:split
-- contact_records_author (tenant_id, author_id, created_at, id) serves no
-- filter: a principal's own records are "author_id = ? OR …" (one of
-- several arms, which no single index serves), and the only user, the
-- expenses report, took it, without statistics, to walk every record of the
-- tenant in author order for its GROUP BY instead of reading the period's
-- records by time (contact_records_occurred), which it now does.
DROP INDEX IF EXISTS contact_records_author;
--bun:split
-- contact_records_customer_actual (tenant_id, customer_id, actual_at, id):
-- a customer's latest progress (CustomerStatuses) is read from
-- contact_records_customer newest first instead, the occurred_at of a
-- record with an actual time being that time.
DROP INDEX IF EXISTS contact_records_customer_actual;
