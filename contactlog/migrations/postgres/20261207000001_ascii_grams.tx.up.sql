-- An index for keyword terms made of ASCII characters only (phone numbers,
-- codes, Latin words: "090"), which the bigram column (grams) does not
-- cover — textnorm.Bigrams skips pairs of two ASCII characters — and which
-- fell back to a scan of the tenant's records. contact_record_ascii_grams(s)
-- returns every three-character run of ASCII characters that are not white
-- space (a superset of textnorm.ASCIITrigrams of any substring of s). It is
-- computed by PostgreSQL, in the index only (fastupdate off: a row has few
-- such grams, and a pending list would be scanned by every lookup): no
-- write path stores it, and
-- the index covers existing rows when it is built.
CREATE OR REPLACE FUNCTION contact_record_ascii_grams(s text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT coalesce(array_agg(DISTINCT substr(m[1], i, 3)), '{}')
FROM regexp_matches(s, '[\x01-\x08\x0e-\x1f\x21-\x7f]{3,}', 'g') AS m, generate_series(1, char_length(m[1]) - 2) AS i
$$;
--bun:split
CREATE INDEX IF NOT EXISTS contact_records_ascii_grams ON contact_records
    USING gin (contact_record_ascii_grams(search_text || ' ' || private_search_text)) WITH (fastupdate = off);
