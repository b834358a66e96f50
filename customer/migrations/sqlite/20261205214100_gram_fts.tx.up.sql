-- The bigram index moves from a table of (tenant, gram, owner) rows (one row
-- per gram of each customer, with its owner index) into an FTS5 table whose tokens are
-- the grams in hexadecimal (see internal/storage GramIndex): one posting list
-- per gram. customer_grams now maps the FTS5 rowid (doc) to the customers row.
ALTER TABLE customer_grams RENAME TO customer_grams_old;
--bun:split
CREATE TABLE customer_grams (
    doc       INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    owner_id  TEXT NOT NULL,
    UNIQUE (tenant_id, owner_id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
--bun:split
CREATE VIRTUAL TABLE customer_grams_fts USING fts5(grams, content='', contentless_delete=1, detail=none, tokenize='ascii');
--bun:split
CREATE TRIGGER customer_grams_fts_delete AFTER DELETE ON customer_grams BEGIN
    DELETE FROM customer_grams_fts WHERE rowid = old.doc;
END;
--bun:split
INSERT INTO customer_grams (tenant_id, owner_id)
SELECT DISTINCT tenant_id, owner_id FROM customer_grams_old;
--bun:split
INSERT INTO customer_grams_fts (rowid, grams)
SELECT d.doc, o.grams
FROM (SELECT tenant_id, owner_id, group_concat(hex(gram), ' ') AS grams
      FROM customer_grams_old GROUP BY tenant_id, owner_id) o
JOIN customer_grams d ON d.tenant_id = o.tenant_id AND d.owner_id = o.owner_id;
--bun:split
DROP TABLE customer_grams_old;
