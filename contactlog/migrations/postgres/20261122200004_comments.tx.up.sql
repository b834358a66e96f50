CREATE TABLE IF NOT EXISTS contact_record_comments (
    id         uuid PRIMARY KEY,
    tenant_id  uuid NOT NULL,
    record_id  uuid NOT NULL REFERENCES contact_records (id) ON DELETE CASCADE,
    author_id  uuid NOT NULL,
    body       text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    deleted_by uuid,
    version    bigint NOT NULL DEFAULT 1,
    -- A deleted comment stays as a placeholder without its text.
    CHECK (deleted_at IS NULL OR body = '')
);
--bun:split
CREATE INDEX IF NOT EXISTS contact_record_comments_record ON contact_record_comments (tenant_id, record_id, created_at, id);
