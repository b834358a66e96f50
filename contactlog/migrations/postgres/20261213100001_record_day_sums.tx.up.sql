-- The record summary per UTC day (contact_record_day_sums): the rows of
-- contact_record_sums added up per day, so that report reads a long period
-- from the days that lie whole within one of its periods and only the
-- days cut by a period's bound (a month in Asia/Tokyo starts at 15:00 UTC)
-- from the hour rows. Kept by contact_record_sums_add in the same
-- statement as the hour rows; filled from them here, with the writers of
-- the summary held off until the migration commits.
LOCK TABLE contact_record_sums IN SHARE ROW EXCLUSIVE MODE;
--bun:split
CREATE TABLE IF NOT EXISTS contact_record_day_sums (
    tenant_id        uuid NOT NULL,
    template_key     text NOT NULL,
    day              timestamptz NOT NULL,
    template_version integer NOT NULL,
    draft            boolean NOT NULL,
    confidential     boolean NOT NULL,
    shared           boolean NOT NULL,
    kind             text NOT NULL,
    field            text NOT NULL,
    item             text NOT NULL,
    rate             integer NOT NULL,
    name             text NOT NULL,
    n                bigint NOT NULL,
    a                bigint NOT NULL,
    b                bigint NOT NULL,
    c                bigint NOT NULL,
    PRIMARY KEY (tenant_id, template_key, day, template_version, draft, confidential, shared, kind, field, item, rate, name)
);
--bun:split
INSERT INTO contact_record_day_sums (tenant_id, template_key, day, template_version, draft, confidential, shared, kind, field, item, rate, name, n, a, b, c)
SELECT s.tenant_id, s.template_key, date_trunc('day', s.hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', s.template_version, s.draft, s.confidential,
       s.shared, s.kind, s.field, s.item, s.rate, s.name, SUM(s.n), SUM(s.a), SUM(s.b), SUM(s.c)
FROM contact_record_sums s
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
ON CONFLICT DO NOTHING;
--bun:split
-- Statistics now rather than at autovacuum's next pass: the queries that
-- read the day rows follow right after.
ANALYZE contact_record_day_sums;
--bun:split
-- contact_record_sums_add adds sign times what record r contributes to its
-- hour's and its day's rows (nothing when it is deleted or not of scope
-- company), and drops the rows of that hour and day that no record
-- contributes to any more. A record's parts share one hour, so its rows
-- for the day are its rows for the hour.
CREATE OR REPLACE FUNCTION contact_record_sums_add(r contact_records, sign bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
WITH p AS (
    SELECT p.tenant_id, p.template_key, p.hour, p.template_version, p.draft, p.confidential, p.shared, p.kind, p.field, p.item, p.rate, p.name,
           sign * SUM(p.n) AS n, sign * SUM(p.a) AS a, sign * SUM(p.b) AS b, sign * SUM(p.c) AS c
    FROM contact_record_sum_parts(r) AS p
    GROUP BY p.tenant_id, p.template_key, p.hour, p.template_version, p.draft, p.confidential, p.shared, p.kind, p.field, p.item, p.rate, p.name
), h AS (
    INSERT INTO contact_record_sums AS s (tenant_id, template_key, hour, template_version, draft, confidential, shared, kind, field, item, rate, name, n, a, b, c)
    SELECT * FROM p
    ON CONFLICT (tenant_id, template_key, hour, template_version, draft, confidential, shared, kind, field, item, rate, name)
    DO UPDATE SET n = s.n + excluded.n, a = s.a + excluded.a, b = s.b + excluded.b, c = s.c + excluded.c
)
INSERT INTO contact_record_day_sums AS s (tenant_id, template_key, day, template_version, draft, confidential, shared, kind, field, item, rate, name, n, a, b, c)
SELECT p.tenant_id, p.template_key, date_trunc('day', p.hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', p.template_version, p.draft, p.confidential,
       p.shared, p.kind, p.field, p.item, p.rate, p.name, p.n, p.a, p.b, p.c
FROM p
ON CONFLICT (tenant_id, template_key, day, template_version, draft, confidential, shared, kind, field, item, rate, name)
DO UPDATE SET n = s.n + excluded.n, a = s.a + excluded.a, b = s.b + excluded.b, c = s.c + excluded.c;
IF sign < 0 THEN
    DELETE FROM contact_record_sums s
    WHERE s.tenant_id = r.tenant_id AND s.template_key = r.template_key
      AND s.hour = date_trunc('hour', r.occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AND s.n = 0;
    DELETE FROM contact_record_day_sums s
    WHERE s.tenant_id = r.tenant_id AND s.template_key = r.template_key
      AND s.day = date_trunc('day', r.occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AND s.n = 0;
END IF;
END
$$;
