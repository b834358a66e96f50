CREATE TABLE IF NOT EXISTS contact_attachments (
    id         uuid PRIMARY KEY,
    tenant_id  uuid NOT NULL,
    record_id  uuid NOT NULL REFERENCES contact_records (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (name <> ''),
    kind       text NOT NULL CHECK (kind IN ('image', 'pdf', 'audio', 'video')),
    mime       text NOT NULL,
    size       bigint NOT NULL CHECK (size >= 0),
    width      integer NOT NULL DEFAULT 0,
    height     integer NOT NULL DEFAULT 0,
    has_thumb  boolean NOT NULL DEFAULT false,
    important  boolean NOT NULL DEFAULT false,
    shared     boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    created_by uuid NOT NULL,
    updated_at timestamptz NOT NULL,
    updated_by uuid NOT NULL,
    version    bigint NOT NULL DEFAULT 1
);
--bun:split
CREATE INDEX IF NOT EXISTS contact_attachments_record ON contact_attachments (record_id, created_at, id);
