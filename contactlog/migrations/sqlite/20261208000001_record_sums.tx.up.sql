-- The record summary the report engine (package report) reads for its sums
-- over a period; see the PostgreSQL migration of the same name. Kept by
-- triggers: every write of contact_records queues the record with sign -1
-- before and +1 after it in contact_record_sum_changes, whose trigger adds
-- what the record contributes at that moment.
CREATE VIEW IF NOT EXISTS contact_record_sum_parts AS
SELECT r.tenant_id, r.id, r.template_key, strftime('%Y-%m-%d %H:00:00+00:00', r.occurred_at) AS hour,
       r.template_version, r.customer_id IS NULL AS draft, r.confidential, r.shared,
       '' AS kind, '' AS field, '' AS item, 0 AS rate, '' AS name, 1 AS n, 0 AS a, 0 AS b, 0 AS c
FROM contact_records r
WHERE r.deleted_at IS NULL AND r.scope_kind = 'company'
UNION ALL
SELECT r.tenant_id, r.id, r.template_key, strftime('%Y-%m-%d %H:00:00+00:00', r.occurred_at),
       r.template_version, r.customer_id IS NULL, r.confidential, r.shared,
       'f', f.key, '', 0, '', 1, f.value, 0, 0
FROM contact_records r JOIN json_each(r.fields) AS f
WHERE r.deleted_at IS NULL AND r.scope_kind = 'company' AND f.type = 'integer'
UNION ALL
SELECT r.tenant_id, r.id, r.template_key, strftime('%Y-%m-%d %H:00:00+00:00', r.occurred_at),
       r.template_version, r.customer_id IS NULL, r.confidential, r.shared,
       'l', f.key, '', 0, '', 1, COALESCE(json_extract(f.value, '$.subtotal'), 0), COALESCE(json_extract(f.value, '$.tax'), 0), json_extract(f.value, '$.total')
FROM contact_records r JOIN json_each(r.fields) AS f
WHERE r.deleted_at IS NULL AND r.scope_kind = 'company' AND f.type = 'object' AND json_type(f.value, '$.total') = 'integer'
UNION ALL
SELECT r.tenant_id, r.id, r.template_key, strftime('%Y-%m-%d %H:00:00+00:00', r.occurred_at),
       r.template_version, r.customer_id IS NULL, r.confidential, r.shared,
       'r', f.key, '', COALESCE(json_extract(tx.value, '$.rate'), 0), '', 1, COALESCE(json_extract(tx.value, '$.base'), 0), COALESCE(json_extract(tx.value, '$.tax'), 0), 0
FROM contact_records r JOIN json_each(r.fields) AS f JOIN json_each(f.value, '$.taxes') AS tx
WHERE r.deleted_at IS NULL AND r.scope_kind = 'company' AND f.type = 'object' AND json_type(f.value, '$.total') = 'integer' AND tx.type = 'object'
UNION ALL
SELECT r.tenant_id, r.id, r.template_key, strftime('%Y-%m-%d %H:00:00+00:00', r.occurred_at),
       r.template_version, r.customer_id IS NULL, r.confidential, r.shared,
       'i', f.key, CASE WHEN COALESCE(json_extract(li.value, '$.item'), '') = '' THEN '~' || COALESCE(json_extract(li.value, '$.name'), '') ELSE json_extract(li.value, '$.item') END,
       COALESCE(json_extract(li.value, '$.tax_rate'), 0), COALESCE(json_extract(li.value, '$.name'), ''), 1,
       COALESCE(json_extract(li.value, '$.subtotal'), 0), 0, COALESCE(CAST(round(json_extract(li.value, '$.quantity') * 1000) AS INTEGER), 0)
FROM contact_records r JOIN json_each(r.fields) AS f JOIN json_each(f.value, '$.items') AS li
WHERE r.deleted_at IS NULL AND r.scope_kind = 'company' AND f.type = 'object' AND json_type(f.value, '$.total') = 'integer' AND li.type = 'object';
--bun:split
CREATE TABLE IF NOT EXISTS contact_record_sums (
    tenant_id        TEXT NOT NULL,
    template_key     text NOT NULL,
    hour             TEXT NOT NULL,
    template_version integer NOT NULL,
    draft            INTEGER NOT NULL,
    confidential     INTEGER NOT NULL,
    shared           INTEGER NOT NULL,
    kind             text NOT NULL,
    field            text NOT NULL,
    item             text NOT NULL,
    rate             integer NOT NULL,
    name             text NOT NULL,
    n                INTEGER NOT NULL,
    a                INTEGER NOT NULL,
    b                INTEGER NOT NULL,
    c                INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, template_key, hour, template_version, draft, confidential, shared, kind, field, item, rate, name)
) WITHOUT ROWID;
--bun:split
INSERT OR IGNORE INTO contact_record_sums (tenant_id, template_key, hour, template_version, draft, confidential, shared, kind, field, item, rate, name, n, a, b, c)
SELECT tenant_id, template_key, hour, template_version, draft, confidential, shared, kind, field, item, rate, name, SUM(n), SUM(a), SUM(b), SUM(c)
FROM contact_record_sum_parts
GROUP BY tenant_id, template_key, hour, template_version, draft, confidential, shared, kind, field, item, rate, name;
--bun:split
CREATE TABLE IF NOT EXISTS contact_record_sum_changes (
    tenant_id TEXT NOT NULL,
    record_id TEXT NOT NULL,
    sign      INTEGER NOT NULL
);
--bun:split
CREATE TRIGGER IF NOT EXISTS contact_record_sum_changes_apply AFTER INSERT ON contact_record_sum_changes BEGIN
    INSERT INTO contact_record_sums (tenant_id, template_key, hour, template_version, draft, confidential, shared, kind, field, item, rate, name, n, a, b, c)
    SELECT tenant_id, template_key, hour, template_version, draft, confidential, shared, kind, field, item, rate, name,
           NEW.sign * SUM(n), NEW.sign * SUM(a), NEW.sign * SUM(b), NEW.sign * SUM(c)
    FROM contact_record_sum_parts p WHERE p.tenant_id = NEW.tenant_id AND p.id = NEW.record_id
    GROUP BY tenant_id, template_key, hour, template_version, draft, confidential, shared, kind, field, item, rate, name
    ON CONFLICT (tenant_id, template_key, hour, template_version, draft, confidential, shared, kind, field, item, rate, name)
    DO UPDATE SET n = contact_record_sums.n + excluded.n, a = contact_record_sums.a + excluded.a,
                  b = contact_record_sums.b + excluded.b, c = contact_record_sums.c + excluded.c;
    DELETE FROM contact_record_sums
    WHERE NEW.sign < 0 AND tenant_id = NEW.tenant_id AND n = 0
      AND (template_key, hour) IN (SELECT p.template_key, p.hour FROM contact_record_sum_parts p WHERE p.tenant_id = NEW.tenant_id AND p.id = NEW.record_id AND p.kind = '');
    DELETE FROM contact_record_sum_changes WHERE rowid = NEW.rowid;
END;
--bun:split
CREATE TRIGGER IF NOT EXISTS contact_record_sums_delete BEFORE DELETE ON contact_records BEGIN
    INSERT INTO contact_record_sum_changes (tenant_id, record_id, sign) VALUES (OLD.tenant_id, OLD.id, -1);
END;
--bun:split
CREATE TRIGGER IF NOT EXISTS contact_record_sums_insert AFTER INSERT ON contact_records BEGIN
    INSERT INTO contact_record_sum_changes (tenant_id, record_id, sign) VALUES (NEW.tenant_id, NEW.id, 1);
END;
--bun:split
CREATE TRIGGER IF NOT EXISTS contact_record_sums_update_old BEFORE UPDATE OF fields, occurred_at, template_key, template_version,
    customer_id, confidential, shared, scope_kind, deleted_at, tenant_id, id ON contact_records BEGIN
    INSERT INTO contact_record_sum_changes (tenant_id, record_id, sign) VALUES (OLD.tenant_id, OLD.id, -1);
END;
--bun:split
CREATE TRIGGER IF NOT EXISTS contact_record_sums_update_new AFTER UPDATE OF fields, occurred_at, template_key, template_version,
    customer_id, confidential, shared, scope_kind, deleted_at, tenant_id, id ON contact_records BEGIN
    INSERT INTO contact_record_sum_changes (tenant_id, record_id, sign) VALUES (NEW.tenant_id, NEW.id, 1);
END;
--bun:split
-- The records report reads live beside the summary: those of a scope
-- other than company, per template and time.
CREATE INDEX IF NOT EXISTS contact_records_template_scoped ON contact_records (tenant_id, template_key, occurred_at, id)
    WHERE deleted_at IS NULL AND scope_kind <> 'company';
