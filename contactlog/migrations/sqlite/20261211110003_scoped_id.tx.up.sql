-- The records of a scope other than company by ID, with their template and
-- time: the report engine's live part starts from the IDs of the records
-- related to the principal (permission.Engine.Related) and keeps those of
-- its template and period; this index tells which without reading the
-- rows that are not.
CREATE INDEX IF NOT EXISTS contact_records_scoped_id ON contact_records (tenant_id, id, template_key, occurred_at)
    WHERE deleted_at IS NULL AND scope_kind <> 'company';
