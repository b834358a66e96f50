CREATE TABLE IF NOT EXISTS contact_records (
    id                    TEXT NOT NULL,
    tenant_id             TEXT NOT NULL,
    template_key          text NOT NULL,
    template_version      integer NOT NULL CHECK (template_version > 0),
    confidential          INTEGER NOT NULL DEFAULT 0,
    customer_id           TEXT,
    contact_persons       TEXT NOT NULL DEFAULT '[]',
    department            text NOT NULL DEFAULT '',
    customer_participants TEXT NOT NULL DEFAULT '[]',
    planned_at            TEXT,
    actual_at             TEXT,
    occurred_at           TEXT NOT NULL,
    channel               text NOT NULL DEFAULT '',
    result                text NOT NULL DEFAULT '',
    summary               text NOT NULL DEFAULT '',
    summary_text          text NOT NULL DEFAULT '',
    progress              text NOT NULL DEFAULT '',
    category1             text NOT NULL DEFAULT '',
    category2             text NOT NULL DEFAULT '',
    public_memo           text NOT NULL DEFAULT '',
    private_memo          text NOT NULL DEFAULT '',
    fields                TEXT NOT NULL DEFAULT '{}',
    expenses              TEXT NOT NULL DEFAULT '[]',
    scope_kind            text NOT NULL DEFAULT 'company' CHECK (scope_kind IN ('company', 'org_units', 'groups', 'users')),
    important             INTEGER NOT NULL DEFAULT 0,
    shared                INTEGER NOT NULL DEFAULT 0,
    search_text           text NOT NULL DEFAULT '',
    -- The private memo's search key apart from the rest: a principal who
    -- may not read private memos cannot find a record by its words.
    private_search_text   text NOT NULL DEFAULT '',
    source_id             TEXT,
    author_id             TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    updated_by            TEXT NOT NULL,
    deleted_at            TEXT,
    deleted_by            TEXT,
    version               INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS contact_records_created ON contact_records (tenant_id, created_at, id) WHERE deleted_at IS NULL;
--bun:split
CREATE INDEX IF NOT EXISTS contact_records_actual ON contact_records (tenant_id, actual_at, id) WHERE deleted_at IS NULL;
--bun:split
CREATE INDEX IF NOT EXISTS contact_records_customer ON contact_records (customer_id, occurred_at, id) WHERE deleted_at IS NULL;
--bun:split
CREATE INDEX IF NOT EXISTS contact_records_customer_actual ON contact_records (customer_id, actual_at, id) WHERE deleted_at IS NULL AND actual_at IS NOT NULL;
--bun:split
CREATE INDEX IF NOT EXISTS contact_records_customer_planned ON contact_records (customer_id, planned_at, id) WHERE deleted_at IS NULL AND planned_at IS NOT NULL;
--bun:split
CREATE INDEX IF NOT EXISTS contact_records_author ON contact_records (tenant_id, author_id, created_at, id) WHERE deleted_at IS NULL;
--bun:split
CREATE INDEX IF NOT EXISTS contact_records_drafts ON contact_records (tenant_id, created_at, id) WHERE deleted_at IS NULL AND customer_id IS NULL;
--bun:split
CREATE INDEX IF NOT EXISTS contact_records_deleted ON contact_records (tenant_id, deleted_at) WHERE deleted_at IS NOT NULL;
--bun:split
CREATE TABLE IF NOT EXISTS contact_record_grams (
    tenant_id TEXT NOT NULL,
    gram      TEXT NOT NULL,
    owner_id  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, gram, owner_id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES contact_records (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
--bun:split
CREATE INDEX IF NOT EXISTS contact_record_grams_owner ON contact_record_grams (owner_id);
--bun:split
CREATE TABLE IF NOT EXISTS contact_record_people (
    record_id TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    role      text NOT NULL CHECK (role IN ('responder', 'participant', 'report_to')),
    tenant_id TEXT NOT NULL,
    position  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, record_id, user_id, role),
    FOREIGN KEY (tenant_id, record_id) REFERENCES contact_records (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS contact_record_people_user ON contact_record_people (tenant_id, user_id, role, record_id);
--bun:split
CREATE TABLE IF NOT EXISTS contact_record_scope (
    record_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, record_id, target_id),
    FOREIGN KEY (tenant_id, record_id) REFERENCES contact_records (tenant_id, id) ON DELETE CASCADE
);
