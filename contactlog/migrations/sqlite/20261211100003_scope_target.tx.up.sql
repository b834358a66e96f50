-- The records whose scope names a target (a user, a group, an org unit):
-- permission.Engine.Related finds the records a principal relates to
-- through their scope by target, which the primary key (tenant_id,
-- record_id, target_id) cannot serve. The report engine's live part (the
-- records the record summary leaves) starts from them.
CREATE INDEX IF NOT EXISTS contact_record_scope_target ON contact_record_scope (tenant_id, target_id, record_id);
