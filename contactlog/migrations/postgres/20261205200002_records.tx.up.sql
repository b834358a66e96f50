CREATE TABLE IF NOT EXISTS contact_records (
    id                    uuid NOT NULL,
    tenant_id             uuid NOT NULL,
    template_key          text NOT NULL,
    template_version      integer NOT NULL CHECK (template_version > 0),
    confidential          boolean NOT NULL DEFAULT false,
    customer_id           uuid,
    contact_persons       jsonb NOT NULL DEFAULT '[]',
    department            text NOT NULL DEFAULT '',
    customer_participants jsonb NOT NULL DEFAULT '[]',
    planned_at            timestamptz,
    actual_at             timestamptz,
    occurred_at           timestamptz NOT NULL,
    channel               text NOT NULL DEFAULT '',
    result                text NOT NULL DEFAULT '',
    summary               text NOT NULL DEFAULT '',
    summary_text          text NOT NULL DEFAULT '',
    progress              text NOT NULL DEFAULT '',
    category1             text NOT NULL DEFAULT '',
    category2             text NOT NULL DEFAULT '',
    public_memo           text NOT NULL DEFAULT '',
    private_memo          text NOT NULL DEFAULT '',
    fields                jsonb NOT NULL DEFAULT '{}',
    expenses              jsonb NOT NULL DEFAULT '[]',
    scope_kind            text NOT NULL DEFAULT 'company' CHECK (scope_kind IN ('company', 'org_units', 'groups', 'users')),
    important             boolean NOT NULL DEFAULT false,
    shared                boolean NOT NULL DEFAULT false,
    search_text           text NOT NULL DEFAULT '',
    -- The private memo's search key apart from the rest: a principal who
    -- may not read private memos cannot find a record by its words.
    private_search_text   text NOT NULL DEFAULT '',
    grams                 text[] NOT NULL DEFAULT '{}',
    source_id             uuid,
    author_id             uuid NOT NULL,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    updated_by            uuid NOT NULL,
    deleted_at            timestamptz,
    deleted_by            uuid,
    version               bigint NOT NULL DEFAULT 1,
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
CREATE INDEX IF NOT EXISTS contact_records_grams ON contact_records USING gin (grams);
--bun:split
CREATE TABLE IF NOT EXISTS contact_record_people (
    record_id uuid NOT NULL,
    user_id   uuid NOT NULL,
    role      text NOT NULL CHECK (role IN ('responder', 'participant', 'report_to')),
    tenant_id uuid NOT NULL,
    position  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, record_id, user_id, role),
    FOREIGN KEY (tenant_id, record_id) REFERENCES contact_records (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS contact_record_people_user ON contact_record_people (tenant_id, user_id, role, record_id);
--bun:split
CREATE TABLE IF NOT EXISTS contact_record_scope (
    record_id uuid NOT NULL,
    target_id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    PRIMARY KEY (tenant_id, record_id, target_id),
    FOREIGN KEY (tenant_id, record_id) REFERENCES contact_records (tenant_id, id) ON DELETE CASCADE
);
