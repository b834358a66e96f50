-- The bigram index moves from a table of (tenant, gram, owner) rows (~13 KiB
-- per contact record with its owner index) into an FTS5 table whose tokens are
-- the grams in hexadecimal (see internal/storage GramIndex): one posting list
-- per gram. contact_record_grams now maps the FTS5 rowid (doc) to the contact_records row.
ALTER TABLE contact_record_grams RENAME TO contact_record_grams_old;
--bun:split
CREATE TABLE contact_record_grams (
    doc       INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    owner_id  TEXT NOT NULL,
    UNIQUE (tenant_id, owner_id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES contact_records (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE VIRTUAL TABLE contact_record_grams_fts USING fts5(grams, content='', contentless_delete=1, detail=none, tokenize='ascii');
--bun:split
CREATE TRIGGER contact_record_grams_fts_delete AFTER DELETE ON contact_record_grams BEGIN
    DELETE FROM contact_record_grams_fts WHERE rowid = old.doc;
END;
--bun:split
INSERT INTO contact_record_grams (tenant_id, owner_id)
SELECT DISTINCT tenant_id, owner_id FROM contact_record_grams_old;
--bun:split
INSERT INTO contact_record_grams_fts (rowid, grams)
SELECT d.doc, o.grams
FROM (SELECT tenant_id, owner_id, group_concat(hex(gram), ' ') AS grams
      FROM contact_record_grams_old GROUP BY tenant_id, owner_id) o
JOIN contact_record_grams d ON d.tenant_id = o.tenant_id AND d.owner_id = o.owner_id;
--bun:split
DROP TABLE contact_record_grams_old;
