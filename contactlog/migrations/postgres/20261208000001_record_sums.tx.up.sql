-- The record summary the report engine (package report) reads for its sums
-- over a period: per tenant, template, UTC hour, template version and the
-- record's visibility class (draft or not, confidential, shared), the count
-- of records and the integer sums of their fields and catalog lines. Only
-- records of scope company (公開範囲: 全社) are summed, the ones whose
-- visibility depends on no relation to the viewer but their class; report
-- reads the other records live. Kept by triggers in the transaction of
-- every write of contact_records, cascades included.
--
-- contact_record_sum_parts(r) is what record r contributes; kind is '' (the
-- record: n = 1), 'f' (an integer value of field: n = 1, a = the value),
-- 'l' (a lines value of field: a, b, c = subtotal, tax, total), 'r' (one
-- tax rate of it: a, b = base, tax) or 'i' (one line of it: item = the
-- catalog item or '~' and the line's name, a = its subtotal, c = its
-- quantity in thousandths).
CREATE OR REPLACE FUNCTION contact_record_sum_parts(r contact_records)
RETURNS TABLE (tenant_id uuid, template_key text, hour timestamptz, template_version integer, draft boolean, confidential boolean,
               shared boolean, kind text, field text, item text, rate integer, name text, n bigint, a bigint, b bigint, c bigint)
LANGUAGE sql STABLE AS $$
SELECT r.tenant_id, r.template_key, date_trunc('hour', r.occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour,
       r.template_version, r.customer_id IS NULL AS draft, r.confidential, r.shared,
       '' AS kind, '' AS field, '' AS item, 0 AS rate, '' AS name, 1::bigint AS n, 0::bigint AS a, 0::bigint AS b, 0::bigint AS c
WHERE r.deleted_at IS NULL AND r.scope_kind = 'company'
UNION ALL
SELECT r.tenant_id, r.template_key, date_trunc('hour', r.occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
       r.template_version, r.customer_id IS NULL, r.confidential, r.shared,
       'f', f.key, '', 0, '', 1, v.num::bigint, 0, 0
FROM jsonb_each(r.fields) AS f(key, value)
     CROSS JOIN LATERAL (SELECT CASE jsonb_typeof(f.value) WHEN 'number' THEN (f.value #>> '{}')::numeric END AS num) AS v
WHERE r.deleted_at IS NULL AND r.scope_kind = 'company' AND v.num = trunc(v.num) AND abs(v.num) < 1e18
UNION ALL
SELECT r.tenant_id, r.template_key, date_trunc('hour', r.occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
       r.template_version, r.customer_id IS NULL, r.confidential, r.shared,
       'l', f.key, '', 0, '', 1, COALESCE((f.value ->> 'subtotal')::bigint, 0), COALESCE((f.value ->> 'tax')::bigint, 0), (f.value ->> 'total')::bigint
FROM jsonb_each(r.fields) AS f(key, value)
WHERE r.deleted_at IS NULL AND r.scope_kind = 'company' AND jsonb_typeof(f.value) = 'object' AND jsonb_typeof(f.value -> 'total') = 'number'
UNION ALL
SELECT r.tenant_id, r.template_key, date_trunc('hour', r.occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
       r.template_version, r.customer_id IS NULL, r.confidential, r.shared,
       'r', f.key, '', COALESCE((tx.value ->> 'rate')::int, 0), '', 1, COALESCE((tx.value ->> 'base')::bigint, 0), COALESCE((tx.value ->> 'tax')::bigint, 0), 0
FROM jsonb_each(r.fields) AS f(key, value)
     CROSS JOIN LATERAL jsonb_array_elements(CASE jsonb_typeof(f.value -> 'taxes') WHEN 'array' THEN f.value -> 'taxes' ELSE '[]'::jsonb END) AS tx(value)
WHERE r.deleted_at IS NULL AND r.scope_kind = 'company' AND jsonb_typeof(f.value) = 'object' AND jsonb_typeof(f.value -> 'total') = 'number'
UNION ALL
SELECT r.tenant_id, r.template_key, date_trunc('hour', r.occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
       r.template_version, r.customer_id IS NULL, r.confidential, r.shared,
       'i', f.key, CASE WHEN COALESCE(li.value ->> 'item', '') = '' THEN '~' || COALESCE(li.value ->> 'name', '') ELSE li.value ->> 'item' END,
       COALESCE((li.value ->> 'tax_rate')::int, 0), COALESCE(li.value ->> 'name', ''), 1,
       COALESCE((li.value ->> 'subtotal')::bigint, 0), 0, COALESCE(round((li.value ->> 'quantity')::numeric * 1000)::bigint, 0)
FROM jsonb_each(r.fields) AS f(key, value)
     CROSS JOIN LATERAL jsonb_array_elements(CASE jsonb_typeof(f.value -> 'items') WHEN 'array' THEN f.value -> 'items' ELSE '[]'::jsonb END) AS li(value)
WHERE r.deleted_at IS NULL AND r.scope_kind = 'company' AND jsonb_typeof(f.value) = 'object' AND jsonb_typeof(f.value -> 'total') = 'number';
$$;
--bun:split
CREATE TABLE IF NOT EXISTS contact_record_sums (
    tenant_id        uuid NOT NULL,
    template_key     text NOT NULL,
    hour             timestamptz NOT NULL,
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
    PRIMARY KEY (tenant_id, template_key, hour, template_version, draft, confidential, shared, kind, field, item, rate, name)
);
--bun:split
INSERT INTO contact_record_sums (tenant_id, template_key, hour, template_version, draft, confidential, shared, kind, field, item, rate, name, n, a, b, c)
SELECT p.tenant_id, p.template_key, p.hour, p.template_version, p.draft, p.confidential, p.shared, p.kind, p.field, p.item, p.rate, p.name,
       SUM(p.n), SUM(p.a), SUM(p.b), SUM(p.c)
FROM contact_records r CROSS JOIN LATERAL contact_record_sum_parts(r) AS p
GROUP BY p.tenant_id, p.template_key, p.hour, p.template_version, p.draft, p.confidential, p.shared, p.kind, p.field, p.item, p.rate, p.name
ON CONFLICT DO NOTHING;
--bun:split
-- contact_record_sums_add adds sign times what record r contributes (nothing
-- when it is deleted or not of scope company), and drops the rows of its
-- hour that no record contributes to any more.
-- (plpgsql: its statements' plans are kept for the session.)
CREATE OR REPLACE FUNCTION contact_record_sums_add(r contact_records, sign bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
INSERT INTO contact_record_sums AS s (tenant_id, template_key, hour, template_version, draft, confidential, shared, kind, field, item, rate, name, n, a, b, c)
SELECT p.tenant_id, p.template_key, p.hour, p.template_version, p.draft, p.confidential, p.shared, p.kind, p.field, p.item, p.rate, p.name,
       sign * SUM(p.n), sign * SUM(p.a), sign * SUM(p.b), sign * SUM(p.c)
FROM contact_record_sum_parts(r) AS p
GROUP BY p.tenant_id, p.template_key, p.hour, p.template_version, p.draft, p.confidential, p.shared, p.kind, p.field, p.item, p.rate, p.name
ON CONFLICT (tenant_id, template_key, hour, template_version, draft, confidential, shared, kind, field, item, rate, name)
DO UPDATE SET n = s.n + excluded.n, a = s.a + excluded.a, b = s.b + excluded.b, c = s.c + excluded.c;
DELETE FROM contact_record_sums s
WHERE sign < 0 AND s.tenant_id = r.tenant_id AND s.template_key = r.template_key
  AND s.hour = date_trunc('hour', r.occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AND s.n = 0;
END
$$;
--bun:split
-- The trigger takes out what the old row contributed and adds the new
-- row's.
CREATE OR REPLACE FUNCTION contact_record_sums_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM contact_record_sums_add(OLD, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM contact_record_sums_add(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;
--bun:split
DROP TRIGGER IF EXISTS contact_record_sums_write ON contact_records;
--bun:split
CREATE TRIGGER contact_record_sums_write AFTER INSERT OR DELETE ON contact_records
    FOR EACH ROW EXECUTE FUNCTION contact_record_sums_trigger();
--bun:split
DROP TRIGGER IF EXISTS contact_record_sums_update ON contact_records;
--bun:split
CREATE TRIGGER contact_record_sums_update AFTER UPDATE ON contact_records
    FOR EACH ROW WHEN (OLD.fields IS DISTINCT FROM NEW.fields OR OLD.occurred_at IS DISTINCT FROM NEW.occurred_at
        OR OLD.template_key IS DISTINCT FROM NEW.template_key OR OLD.template_version IS DISTINCT FROM NEW.template_version
        OR OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.confidential IS DISTINCT FROM NEW.confidential
        OR OLD.shared IS DISTINCT FROM NEW.shared OR OLD.scope_kind IS DISTINCT FROM NEW.scope_kind
        OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id)
    EXECUTE FUNCTION contact_record_sums_trigger();
--bun:split
-- The records report reads live beside the summary: those of a scope
-- other than company, per template and time.
CREATE INDEX IF NOT EXISTS contact_records_template_scoped ON contact_records (tenant_id, template_key, occurred_at, id)
    WHERE deleted_at IS NULL AND scope_kind <> 'company';
