-- The message to a record's report-to recipients (報告先へのメッセージ).
ALTER TABLE contact_records ADD COLUMN report_message text NOT NULL DEFAULT '';
--bun:split
-- Saved report-to patterns (報告パターン): each staff member's own named
-- sets of recipients, chosen on the record form to fill 報告先.
CREATE TABLE IF NOT EXISTS contact_report_patterns (
    id         TEXT NOT NULL,
    tenant_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    name       text NOT NULL,
    recipients TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, user_id, name)
);
