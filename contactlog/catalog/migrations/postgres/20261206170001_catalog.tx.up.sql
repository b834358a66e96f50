CREATE TABLE IF NOT EXISTS catalog_categories (
    tenant_id     uuid NOT NULL,
    id            uuid NOT NULL,
    name          text NOT NULL,
    tax_rate      integer NOT NULL CHECK (tax_rate IN (0, 8, 10)),
    uses_variants boolean NOT NULL DEFAULT false,
    position      integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);
--bun:split
CREATE TABLE IF NOT EXISTS catalog_items (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    category_id uuid NOT NULL,
    name        text NOT NULL,
    variant     text NOT NULL DEFAULT '',
    unit_price  bigint NOT NULL,
    position    integer NOT NULL DEFAULT 0,
    archived    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, category_id, variant, name),
    FOREIGN KEY (tenant_id, category_id) REFERENCES catalog_categories (tenant_id, id)
);
