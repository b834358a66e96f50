-- One 進捗 (issue 14): 商談 v1 records move to v2, which has no progress
-- field of its own. The v1 field's choice ("stage") becomes the record's
-- 進捗 when the record has none: the tenant's progress item of the same
-- label, else — for a tenant on the default masters — the default item
-- it means. A choice that is not carried over (no such item, or the
-- record's 進捗 says otherwise) is kept in the words of 内容概略（補足）.
-- Step 1: the code the choice maps to, parked under "_stage_progress".
UPDATE contact_records AS r
SET fields = r.fields || jsonb_build_object('_stage_progress', COALESCE(
    (SELECT m.code FROM contact_masters AS m
     WHERE m.tenant_id = r.tenant_id AND m.kind = 'progress' AND m.label = r.fields ->> 'stage'
     ORDER BY m.archived, m.position LIMIT 1),
    CASE WHEN NOT EXISTS (SELECT 1 FROM contact_masters AS m WHERE m.tenant_id = r.tenant_id AND m.kind = 'progress')
    THEN CASE r.fields ->> 'stage'
        WHEN '初回接触' THEN 'first_contact' WHEN '提案' THEN 'proposing' WHEN '見積提示' THEN 'quoted'
        WHEN '交渉' THEN 'follow_up' WHEN '受注' THEN 'won' WHEN '失注' THEN 'lost' END
    END, ''))
WHERE r.template_key = 'builtin:sales' AND r.template_version = 1 AND COALESCE(r.fields ->> 'stage', '') <> '';
--bun:split
UPDATE contact_records SET progress = fields ->> '_stage_progress'
WHERE template_key = 'builtin:sales' AND template_version = 1 AND progress = '' AND fields ->> '_stage_progress' <> '';
--bun:split
UPDATE contact_records
SET summary_text = ltrim(summary_text || E'\n' || '商談の進捗（旧項目）: ' || (fields ->> 'stage'), E'\n')
WHERE template_key = 'builtin:sales' AND template_version = 1 AND COALESCE(fields ->> 'stage', '') <> ''
    AND (fields ->> '_stage_progress' = '' OR progress <> fields ->> '_stage_progress');
--bun:split
UPDATE contact_records SET fields = fields - 'stage' - '_stage_progress', template_version = 2
WHERE template_key = 'builtin:sales' AND template_version = 1;
