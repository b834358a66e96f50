-- The private memo's search key apart from the rest (search_text): a
-- principal who may not read private memos cannot find a record by its
-- words. Records written before keep their private memo in search_text
-- until their next update.
ALTER TABLE contact_records ADD COLUMN private_search_text text NOT NULL DEFAULT '';
