-- A smaller SQLite file (issue 21): the bigram index's doc map goes, as for
-- contact records (see contactlog's migration of the same name). It was a
-- table of (doc, tenant_id, owner_id) rows and its unique (tenant_id,
-- owner_id) index, two b-trees each repeating two 36-character IDs, to
-- link an FTS5 rowid to its customer. The customer now holds its FTS5
-- rowid itself (gram_doc), with an index led by it: the posting lists lead
-- to the customers through it, and the next doc is one more than its
-- largest (see internal/storage GramIndex). The index also holds the
-- tenant and the ID, which a customer search reads for every posting of
-- its words (reading the customers' rows instead made searches for 田中
-- and たな on 10 000 customers three times slower); at 10 000 customers it
-- costs 0.01 KiB per record of the small business. A customer keeps the
-- doc it had.
ALTER TABLE customers ADD COLUMN gram_doc INTEGER;
--bun:split
UPDATE customers SET gram_doc = (SELECT g.doc FROM customer_grams AS g
WHERE g.tenant_id = customers.tenant_id AND g.owner_id = customers.id);
--bun:split
CREATE UNIQUE INDEX customers_gram_doc ON customers (gram_doc, tenant_id, id);
--bun:split
-- Dropping the map drops its trigger (customer_grams_fts_delete); purging
-- a customer now deletes its FTS5 row through the customer's own.
DROP TABLE customer_grams;
--bun:split
CREATE TRIGGER customers_gram_doc_delete AFTER DELETE ON customers WHEN old.gram_doc IS NOT NULL BEGIN
    DELETE FROM customer_grams_fts WHERE rowid = old.gram_doc;
END;
