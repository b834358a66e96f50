CREATE TABLE IF NOT EXISTS customer_settings (
    tenant_id     uuid PRIMARY KEY,
    kana_optional boolean NOT NULL DEFAULT false
);
