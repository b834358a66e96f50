-- The private memo's search key moves out of search_text into its own
-- column, so that a principal who may not read private memos (partners)
-- cannot find a record by words that occur only there. grams keeps the
-- bigrams of both keys: a prefilter that the two keys then verify.
ALTER TABLE contact_records ADD COLUMN private_search_text text NOT NULL DEFAULT '';
--bun:split
-- Rows written before keep their whole key, private memo included, on the
-- private side until they are next written: staff still find them by any
-- word, and partners no longer by their own text.
UPDATE contact_records SET private_search_text = search_text, search_text = '' WHERE private_memo <> '';
