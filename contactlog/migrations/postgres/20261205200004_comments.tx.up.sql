CREATE TABLE IF NOT EXISTS contact_record_comments (
    id         uuid NOT NULL,
    tenant_id  uuid NOT NULL,
    record_id  uuid NOT NULL,
    author_id  uuid NOT NULL,
    body       text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    deleted_by uuid,
    version    bigint NOT NULL DEFAULT 1,
    -- A deleted comment stays as a placeholder without its text.
    CHECK (deleted_at IS NULL OR body = ''),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, record_id) REFERENCES contact_records (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS contact_record_comments_record ON contact_record_comments (tenant_id, record_id, created_at, id);
