-- The sort key of each category (textnorm.Key of its name) and item (of
-- its variant and name, a tab between): lists order by position, then this
-- key, then ID, compared by code point (BINARY), as PostgreSQL's
-- COLLATE "C" column does. Rows written before this migration get their key
-- from Migrate (Go computes it), which fills the NULL ones.
ALTER TABLE catalog_categories ADD COLUMN sort_key TEXT;
--bun:split
ALTER TABLE catalog_items ADD COLUMN sort_key TEXT;
