-- The record summary per UTC day (contact_record_day_sums); see the
-- PostgreSQL migration of the same name. Days are written as the hours
-- are, at 00:00:00+00:00.
CREATE TABLE IF NOT EXISTS contact_record_day_sums (
    tenant_id        TEXT NOT NULL,
    template_key     text NOT NULL,
    day              TEXT NOT NULL,
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
    PRIMARY KEY (tenant_id, template_key, day, template_version, draft, confidential, shared, kind, field, item, rate, name)
) WITHOUT ROWID;
--bun:split
INSERT OR IGNORE INTO contact_record_day_sums (tenant_id, template_key, day, template_version, draft, confidential, shared, kind, field, item, rate, name, n, a, b, c)
SELECT tenant_id, template_key, substr(hour, 1, 10) || ' 00:00:00+00:00', template_version, draft, confidential, shared, kind, field, item, rate, name,
       SUM(n), SUM(a), SUM(b), SUM(c)
FROM contact_record_sums
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12;
--bun:split
-- What a queued record contributes goes to its day's rows as to its hour's
-- (contact_record_sum_changes_apply; a record's parts share one hour); the
-- rows of the day that no record contributes to any more are dropped. The
-- queued row itself is read from NEW only, so the order of the two
-- triggers does not matter.
CREATE TRIGGER IF NOT EXISTS contact_record_day_sums_apply AFTER INSERT ON contact_record_sum_changes BEGIN
    INSERT INTO contact_record_day_sums (tenant_id, template_key, day, template_version, draft, confidential, shared, kind, field, item, rate, name, n, a, b, c)
    SELECT tenant_id, template_key, substr(hour, 1, 10) || ' 00:00:00+00:00', template_version, draft, confidential, shared, kind, field, item, rate, name,
           NEW.sign * SUM(n), NEW.sign * SUM(a), NEW.sign * SUM(b), NEW.sign * SUM(c)
    FROM contact_record_sum_parts p WHERE p.tenant_id = NEW.tenant_id AND p.id = NEW.record_id
    GROUP BY tenant_id, template_key, hour, template_version, draft, confidential, shared, kind, field, item, rate, name
    ON CONFLICT (tenant_id, template_key, day, template_version, draft, confidential, shared, kind, field, item, rate, name)
    DO UPDATE SET n = contact_record_day_sums.n + excluded.n, a = contact_record_day_sums.a + excluded.a,
                  b = contact_record_day_sums.b + excluded.b, c = contact_record_day_sums.c + excluded.c;
    DELETE FROM contact_record_day_sums
    WHERE NEW.sign < 0 AND tenant_id = NEW.tenant_id AND n = 0
      AND (template_key, day) IN (SELECT p.template_key, substr(p.hour, 1, 10) || ' 00:00:00+00:00' FROM contact_record_sum_parts p
                                  WHERE p.tenant_id = NEW.tenant_id AND p.id = NEW.record_id AND p.kind = '');
END;
