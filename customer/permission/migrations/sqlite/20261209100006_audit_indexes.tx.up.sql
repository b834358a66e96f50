-- A smaller audit log (issue 21): its two indexes go, the table's key
-- (tenant_id, at, id) is the only b-tree (0.29 KiB less per record at
-- 100 000 records, an entry per record and per customer).
--
-- audit_log_id (tenant_id, id), unique: its only reader was AuditLog's
-- Before cursor, which looked the previous page's last entry up by ID; the
-- cursor is now that entry's (at, id), a range of the key. The key keeps
-- every entry apart (IDs are version 7 UUIDs made by Audit).
DROP INDEX IF EXISTS audit_log_id;
--bun:split
-- audit_log_object (tenant_id, object_type, object_id, at): SQLite's
-- planner, without statistics, did not take it for an object's history,
-- walking the key newest first instead (it gives the order, and the index
-- would cost a lookup of the row per entry), so it was written and never
-- read. (PostgreSQL keeps both: (tenant_id, id) is its primary key, and
-- its planner, with statistics, can read an object's history from the
-- object index.)
DROP INDEX IF EXISTS audit_log_object;
