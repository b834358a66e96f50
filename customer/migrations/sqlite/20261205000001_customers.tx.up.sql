CREATE TABLE IF NOT EXISTS customers (
    id             TEXT NOT NULL,
    tenant_id      TEXT NOT NULL,
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
    birthday       TEXT,
    gender         text NOT NULL DEFAULT '',
    postal_code    text NOT NULL DEFAULT '',
    address        text NOT NULL DEFAULT '',
    contact_method text NOT NULL DEFAULT '',
    decision_maker text NOT NULL DEFAULT '',
    rank           text NOT NULL DEFAULT '',
    memo           text NOT NULL DEFAULT '',
    custom_fields  TEXT NOT NULL DEFAULT '{}',
    consent_at     TEXT,
    consent_by     TEXT,
    name_key       text NOT NULL,
    sort_kana      text NOT NULL,
    search_text    text NOT NULL,
    phone_digits   text NOT NULL DEFAULT '',
    mobile_digits  text NOT NULL DEFAULT '',
    email_key      text NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    updated_by     TEXT NOT NULL,
    deleted_at     TEXT,
    deleted_by     TEXT,
    version        INTEGER NOT NULL DEFAULT 1,
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
CREATE TABLE IF NOT EXISTS customer_grams (
    tenant_id TEXT NOT NULL,
    gram      TEXT NOT NULL,
    owner_id  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, gram, owner_id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
--bun:split
CREATE INDEX IF NOT EXISTS customer_grams_owner ON customer_grams (owner_id);
--bun:split
CREATE TABLE IF NOT EXISTS customer_assignees (
    customer_id TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    tenant_id   TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    assigned_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, customer_id, user_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS customer_assignees_user ON customer_assignees (tenant_id, user_id, customer_id);
--bun:split
CREATE TABLE IF NOT EXISTS customer_assignment_log (
    id          TEXT NOT NULL,
    tenant_id   TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    from_user   TEXT,
    to_user     TEXT,
    batch_id    TEXT,
    changed_at  TEXT NOT NULL,
    changed_by  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS customer_assignment_log_customer ON customer_assignment_log (tenant_id, customer_id, changed_at);
--bun:split
CREATE TABLE IF NOT EXISTS customer_lists (
    id         TEXT NOT NULL,
    tenant_id  TEXT NOT NULL,
    owner_id   TEXT NOT NULL,
    name       text NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    UNIQUE (tenant_id, owner_id, name),
    PRIMARY KEY (tenant_id, id)
);
--bun:split
CREATE TABLE IF NOT EXISTS customer_list_items (
    list_id     TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    tenant_id   TEXT NOT NULL,
    added_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, list_id, customer_id),
    FOREIGN KEY (tenant_id, list_id) REFERENCES customer_lists (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS customer_list_items_customer ON customer_list_items (customer_id);
--bun:split
CREATE TABLE IF NOT EXISTS customer_fields (
    tenant_id  TEXT NOT NULL,
    key        text NOT NULL,
    label      text NOT NULL,
    type       text NOT NULL,
    options    TEXT NOT NULL DEFAULT '[]',
    required   INTEGER NOT NULL DEFAULT 0,
    position   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, key)
);
--bun:split
CREATE TABLE IF NOT EXISTS customer_ranks (
    tenant_id TEXT NOT NULL,
    code      text NOT NULL,
    label     text NOT NULL,
    position  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, code)
);
