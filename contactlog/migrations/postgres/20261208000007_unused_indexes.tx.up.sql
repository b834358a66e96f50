-- contact_record_people_user (tenant_id, user_id, role, record_id) is a
-- prefix of contact_record_people_user_occurred (tenant_id, user_id, role,
-- occurred_at, record_id), which holds the same columns: every lookup of a
-- person's records is as well served, and covered, by the latter. (The
-- author index stays on PostgreSQL: with statistics its planner uses it for
-- one staff member's records over a long period.)
DROP INDEX IF EXISTS contact_record_people_user;
--bun:split
-- contact_records_customer_actual (tenant_id, customer_id, actual_at, id):
-- a customer's latest progress (CustomerStatuses) is read from
-- contact_records_customer newest first instead, the occurred_at of a
-- record with an actual time being that time; no query orders by actual
-- time within a customer any more.
DROP INDEX IF EXISTS contact_records_customer_actual;
