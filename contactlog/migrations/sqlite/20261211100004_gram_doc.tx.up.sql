-- A smaller SQLite file (issue 21): the bigram index's doc map goes. It was
-- a table of (doc, tenant_id, owner_id) rows and its unique (tenant_id,
-- owner_id) index, two b-trees each repeating two 36-character IDs
-- (about 0.17 KiB per record at 100 000 records) to link an FTS5 rowid to
-- its record. The record now holds its FTS5 rowid itself (gram_doc), with
-- a unique index on it alone (a few bytes per record): the posting lists
-- lead to the records through it, and the next doc is one more than its
-- largest (see internal/storage GramIndex). A record keeps the doc it had.
ALTER TABLE contact_records ADD COLUMN gram_doc INTEGER;
--bun:split
UPDATE contact_records SET gram_doc = (SELECT g.doc FROM contact_record_grams AS g
WHERE g.tenant_id = contact_records.tenant_id AND g.owner_id = contact_records.id);
--bun:split
CREATE UNIQUE INDEX contact_records_gram_doc ON contact_records (gram_doc);
--bun:split
-- Dropping the map drops its trigger (contact_record_grams_fts_delete);
-- purging a record now deletes its FTS5 row through the record's own.
DROP TABLE contact_record_grams;
--bun:split
CREATE TRIGGER contact_records_gram_doc_delete AFTER DELETE ON contact_records WHEN old.gram_doc IS NOT NULL BEGIN
    DELETE FROM contact_record_grams_fts WHERE rowid = old.gram_doc;
END;
