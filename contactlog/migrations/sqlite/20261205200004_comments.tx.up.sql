CREATE TABLE IF NOT EXISTS contact_record_comments (
    id         TEXT NOT NULL,
    tenant_id  TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    author_id  TEXT NOT NULL,
    body       text NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    deleted_by TEXT,
    version    INTEGER NOT NULL DEFAULT 1,
    -- A deleted comment stays as a placeholder without its text.
    CHECK (deleted_at IS NULL OR body = ''),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, record_id) REFERENCES contact_records (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS contact_record_comments_record ON contact_record_comments (tenant_id, record_id, created_at, id);
