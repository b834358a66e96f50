CREATE TABLE IF NOT EXISTS customer_settings (
    tenant_id     TEXT PRIMARY KEY,
    kana_optional INTEGER NOT NULL DEFAULT 0
);
