-- The sort key of each category (textnorm.Key of its name) and item (of
-- its variant and name, a tab between): lists order by position, then this
-- key, then ID. COLLATE "C" compares it by code point, as SQLite's BINARY
-- does, so the order is the same on every database whatever its collation.
-- Rows written before this migration get their key from Migrate (Go
-- computes it), which fills the NULL ones.
ALTER TABLE catalog_categories ADD COLUMN IF NOT EXISTS sort_key text COLLATE "C";
--bun:split
ALTER TABLE catalog_items ADD COLUMN IF NOT EXISTS sort_key text COLLATE "C";
