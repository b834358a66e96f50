CREATE TABLE IF NOT EXISTS catalog_categories (
    tenant_id     TEXT NOT NULL,
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    tax_rate      INTEGER NOT NULL CHECK (tax_rate IN (0, 8, 10)),
    uses_variants INTEGER NOT NULL DEFAULT 0,
    position      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
) WITHOUT ROWID;
--bun:split
CREATE TABLE IF NOT EXISTS catalog_items (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    category_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    variant     TEXT NOT NULL DEFAULT '',
    unit_price  INTEGER NOT NULL,
    position    INTEGER NOT NULL DEFAULT 0,
    archived    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, category_id, variant, name),
    FOREIGN KEY (tenant_id, category_id) REFERENCES catalog_categories (tenant_id, id)
) WITHOUT ROWID;
