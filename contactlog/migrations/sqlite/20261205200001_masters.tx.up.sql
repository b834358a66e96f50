CREATE TABLE IF NOT EXISTS contact_masters (
    tenant_id TEXT NOT NULL,
    kind      text NOT NULL CHECK (kind IN ('channel', 'result', 'summary', 'progress', 'category1', 'category2')),
    code      text NOT NULL,
    label     text NOT NULL,
    parent    text NOT NULL DEFAULT '',
    position  integer NOT NULL DEFAULT 0,
    archived  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, kind, code)
);
