-- 利用・会計 v2 (builtin:usage) marks its lines field as drawing from the
-- tenant catalog (tenant_catalog), where v1 took any item that was a UUID
-- for a tenant catalog item. v1 records were written under that reading,
-- so they are v2 records: they move onto v2 unchanged.
UPDATE contact_records SET template_version = 2
WHERE template_key = 'builtin:usage' AND template_version = 1;
