-- A smaller SQLite file (issue 21): search_text and private_search_text
-- store a key only where it differs from the text it is made of (see
-- contactlog's storedKey and searchKeyExpr): an empty key column now means
-- "the key is the text" — the public memo and the summary text joined by a
-- space, or the private memo — and an empty key of a text that is not
-- empty is stored as " ", which no term matches. Existing rows change in
-- that order: first the empty keys of non-empty texts, then the keys equal
-- to their text.
UPDATE contact_records SET search_text = ' '
WHERE search_text = '' AND (public_memo <> '' OR summary_text <> '');
--bun:split
UPDATE contact_records SET search_text = ''
WHERE search_text <> '' AND search_text = CASE WHEN public_memo = '' THEN summary_text
    WHEN summary_text = '' THEN public_memo ELSE public_memo || ' ' || summary_text END;
--bun:split
UPDATE contact_records SET private_search_text = ' '
WHERE private_search_text = '' AND private_memo <> '';
--bun:split
UPDATE contact_records SET private_search_text = ''
WHERE private_search_text <> '' AND private_search_text = private_memo;
