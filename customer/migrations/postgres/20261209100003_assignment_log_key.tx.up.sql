-- Every query reads the assignment log by customer — a customer's history
-- (AssignmentHistory, oldest first by changed_at, id) and the cascade of a
-- customer's purge — and nothing looks an entry up by its ID (issue 21,
-- where SQLite's file shrank by the b-trees no query needs). The primary
-- key becomes (tenant_id, customer_id, changed_at, id), the history in its
-- order, and the (tenant_id, customer_id, changed_at) index, its prefix,
-- goes.
ALTER TABLE customer_assignment_log DROP CONSTRAINT customer_assignment_log_pkey;
--bun:split
ALTER TABLE customer_assignment_log ADD PRIMARY KEY (tenant_id, customer_id, changed_at, id);
--bun:split
DROP INDEX IF EXISTS customer_assignment_log_customer;
