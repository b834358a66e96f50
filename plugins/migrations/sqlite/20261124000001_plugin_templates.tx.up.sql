CREATE TABLE IF NOT EXISTS plugin_templates (
    key            TEXT NOT NULL,
    version        INTEGER NOT NULL CHECK (version >= 1),
    plugin         TEXT NOT NULL,
    plugin_version TEXT NOT NULL,
    definition     TEXT NOT NULL CHECK (json_valid(definition)),
    created_at     TEXT NOT NULL,
    PRIMARY KEY (key, version)
) WITHOUT ROWID;
--bun:split
CREATE INDEX IF NOT EXISTS plugin_templates_plugin ON plugin_templates (plugin);
