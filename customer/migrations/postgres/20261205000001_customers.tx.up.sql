CREATE TABLE IF NOT EXISTS customers (
    id             uuid NOT NULL,
    tenant_id      uuid NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('individual', 'company')),
    status         text NOT NULL CHECK (status IN ('prospect', 'existing')),
    family_name    text NOT NULL,
    given_name     text NOT NULL DEFAULT '',
    family_kana    text NOT NULL DEFAULT '',
    given_kana     text NOT NULL DEFAULT '',
    company_name   text NOT NULL DEFAULT '',
    company_kana   text NOT NULL DEFAULT '',
    department     text NOT NULL DEFAULT '',
    email          text NOT NULL DEFAULT '',
    mobile         text NOT NULL DEFAULT '',
    phone          text NOT NULL DEFAULT '',
    birthday       date,
    gender         text NOT NULL DEFAULT '',
    postal_code    text NOT NULL DEFAULT '',
    address        text NOT NULL DEFAULT '',
    contact_method text NOT NULL DEFAULT '',
    decision_maker text NOT NULL DEFAULT '',
    rank           text NOT NULL DEFAULT '',
    memo           text NOT NULL DEFAULT '',
    custom_fields  jsonb NOT NULL DEFAULT '{}',
    consent_at     timestamptz,
    consent_by     uuid,
    name_key       text NOT NULL,
    sort_kana      text NOT NULL,
    search_text    text NOT NULL,
    phone_digits   text NOT NULL DEFAULT '',
    mobile_digits  text NOT NULL DEFAULT '',
    email_key      text NOT NULL DEFAULT '',
    grams          text[] NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL,
    created_by     uuid NOT NULL,
    updated_at     timestamptz NOT NULL,
    updated_by     uuid NOT NULL,
    deleted_at     timestamptz,
    deleted_by     uuid,
    version        bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id)
);
--bun:split
CREATE INDEX IF NOT EXISTS customers_kana ON customers (tenant_id, sort_kana, id) WHERE deleted_at IS NULL;
--bun:split
CREATE INDEX IF NOT EXISTS customers_created ON customers (tenant_id, created_at, id) WHERE deleted_at IS NULL;
--bun:split
CREATE INDEX IF NOT EXISTS customers_updated ON customers (tenant_id, updated_at, id) WHERE deleted_at IS NULL;
--bun:split
CREATE INDEX IF NOT EXISTS customers_deleted ON customers (tenant_id, deleted_at) WHERE deleted_at IS NOT NULL;
--bun:split
CREATE INDEX IF NOT EXISTS customers_name_key ON customers (tenant_id, name_key) WHERE deleted_at IS NULL;
--bun:split
CREATE INDEX IF NOT EXISTS customers_grams ON customers USING gin (grams);
--bun:split
CREATE TABLE IF NOT EXISTS customer_assignees (
    customer_id uuid NOT NULL,
    user_id     uuid NOT NULL,
    tenant_id   uuid NOT NULL,
    assigned_at timestamptz NOT NULL,
    assigned_by uuid NOT NULL,
    PRIMARY KEY (tenant_id, customer_id, user_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS customer_assignees_user ON customer_assignees (tenant_id, user_id, customer_id);
--bun:split
CREATE TABLE IF NOT EXISTS customer_assignment_log (
    id          uuid NOT NULL,
    tenant_id   uuid NOT NULL,
    customer_id uuid NOT NULL,
    from_user   uuid,
    to_user     uuid,
    batch_id    uuid,
    changed_at  timestamptz NOT NULL,
    changed_by  uuid NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS customer_assignment_log_customer ON customer_assignment_log (tenant_id, customer_id, changed_at);
--bun:split
CREATE TABLE IF NOT EXISTS customer_lists (
    id         uuid NOT NULL,
    tenant_id  uuid NOT NULL,
    owner_id   uuid NOT NULL,
    name       text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version    bigint NOT NULL DEFAULT 1,
    UNIQUE (tenant_id, owner_id, name),
    PRIMARY KEY (tenant_id, id)
);
--bun:split
CREATE TABLE IF NOT EXISTS customer_list_items (
    list_id     uuid NOT NULL,
    customer_id uuid NOT NULL,
    tenant_id   uuid NOT NULL,
    added_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, list_id, customer_id),
    FOREIGN KEY (tenant_id, list_id) REFERENCES customer_lists (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS customer_list_items_customer ON customer_list_items (customer_id);
--bun:split
CREATE TABLE IF NOT EXISTS customer_fields (
    tenant_id  uuid NOT NULL,
    key        text NOT NULL,
    label      text NOT NULL,
    type       text NOT NULL,
    options    jsonb NOT NULL DEFAULT '[]',
    required   boolean NOT NULL DEFAULT false,
    position   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, key)
);
--bun:split
CREATE TABLE IF NOT EXISTS customer_ranks (
    tenant_id uuid NOT NULL,
    code      text NOT NULL,
    label     text NOT NULL,
    position  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, code)
);
