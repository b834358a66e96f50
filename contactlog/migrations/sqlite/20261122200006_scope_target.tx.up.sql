CREATE INDEX IF NOT EXISTS contact_record_scope_target ON contact_record_scope (tenant_id, target_id, record_id);
