CREATE TABLE IF NOT EXISTS kiroku_tenants (
    id                  TEXT PRIMARY KEY,
    name                text NOT NULL,
    time_zone           text NOT NULL DEFAULT 'Asia/Tokyo',
    customer_visibility text NOT NULL DEFAULT 'all' CHECK (customer_visibility IN ('all', 'assigned')),
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1
);
--bun:split
CREATE TABLE IF NOT EXISTS staff_users (
    id          TEXT NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES kiroku_tenants (id) ON DELETE CASCADE,
    external_id text,
    name        text NOT NULL,
    kana        text NOT NULL DEFAULT '',
    email       text NOT NULL DEFAULT '',
    roles       text NOT NULL DEFAULT 'staff',
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id)
);
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS staff_users_external ON staff_users (tenant_id, external_id) WHERE external_id IS NOT NULL;
--bun:split
CREATE INDEX IF NOT EXISTS staff_users_tenant ON staff_users (tenant_id, kana, id);
--bun:split
CREATE TABLE IF NOT EXISTS org_units (
    id         TEXT NOT NULL,
    tenant_id  TEXT NOT NULL REFERENCES kiroku_tenants (id) ON DELETE CASCADE,
    parent_id  TEXT,
    kind       text NOT NULL CHECK (kind IN ('company', 'branch', 'department')),
    name       text NOT NULL,
    position   integer NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, parent_id) REFERENCES org_units (tenant_id, id)
);
--bun:split
CREATE INDEX IF NOT EXISTS org_units_tenant ON org_units (tenant_id, parent_id);
--bun:split
CREATE TABLE IF NOT EXISTS org_unit_paths (
    tenant_id     TEXT NOT NULL,
    ancestor_id   TEXT NOT NULL,
    descendant_id TEXT NOT NULL,
    depth         integer NOT NULL,
    PRIMARY KEY (tenant_id, ancestor_id, descendant_id),
    FOREIGN KEY (tenant_id, ancestor_id) REFERENCES org_units (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, descendant_id) REFERENCES org_units (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS org_unit_paths_descendant ON org_unit_paths (descendant_id, ancestor_id);
--bun:split
CREATE TABLE IF NOT EXISTS org_memberships (
    user_id     TEXT NOT NULL,
    org_unit_id TEXT NOT NULL,
    tenant_id   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, org_unit_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES staff_users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, org_unit_id) REFERENCES org_units (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS org_memberships_unit ON org_memberships (org_unit_id, user_id);
--bun:split
CREATE TABLE IF NOT EXISTS staff_groups (
    id         TEXT NOT NULL,
    tenant_id  TEXT NOT NULL REFERENCES kiroku_tenants (id) ON DELETE CASCADE,
    name       text NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    UNIQUE (tenant_id, name),
    PRIMARY KEY (tenant_id, id)
);
--bun:split
CREATE TABLE IF NOT EXISTS group_members (
    group_id  TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    manager   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, group_id, user_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES staff_groups (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES staff_users (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX IF NOT EXISTS group_members_user ON group_members (user_id, group_id);
--bun:split
CREATE TABLE IF NOT EXISTS audit_log (
    id          TEXT NOT NULL,
    tenant_id   TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_kind  text NOT NULL,
    action      text NOT NULL,
    object_type text NOT NULL,
    object_id   TEXT,
    at          TEXT NOT NULL,
    detail      text NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id)
);
--bun:split
CREATE INDEX IF NOT EXISTS audit_log_object ON audit_log (tenant_id, object_type, object_id, at);
--bun:split
CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log (tenant_id, actor_id, at);
--bun:split
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (tenant_id, at);
--bun:split
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
--bun:split
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
