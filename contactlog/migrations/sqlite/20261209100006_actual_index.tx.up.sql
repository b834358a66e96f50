-- A smaller file (issue 21): contact_records_actual (tenant_id, actual_at,
-- id) goes. Its only reader was the actual-time filter of a search
-- (Query.ActualFrom, ActualTo), which reads the period from
-- contact_records_occurred instead: a record's occurred_at is its actual
-- time when it has one (Record.Time), so the filter bounds occurred_at and
-- keeps the records whose occurred_at = actual_at. Nothing orders by
-- actual_at.
DROP INDEX IF EXISTS contact_records_actual;
