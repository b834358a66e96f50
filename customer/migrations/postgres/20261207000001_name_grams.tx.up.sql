-- The grams of a customer's name alone (name, reading, company name), which
-- other engines' keyword searches look customers up by (Ref.WhereName):
-- the whole search text's grams (customers.grams) hold the address and memo
-- too, so a word common in addresses (丁目) matched thousands of customers
-- only for the name check to drop them.
--
-- customer_name_grams(s) is a superset of what the Go side asks for: every
-- two-character substring with a non-ASCII character and no space
-- (textnorm.Bigrams) and every three-character run of ASCII characters that
-- are not white space (textnorm.ASCIITrigrams, so digits and Latin words
-- have an index too). It is computed by PostgreSQL, in the index only
-- (fastupdate off: a row has few such grams, and a pending list would be
-- scanned by every lookup): no
-- write path stores it, and the index covers existing rows when it is built.
CREATE OR REPLACE FUNCTION customer_name_grams(s text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT coalesce(array_agg(DISTINCT g), '{}') FROM (
    SELECT substr(s, i, 2) AS g FROM generate_series(1, char_length(s) - 1) AS i
    WHERE strpos(substr(s, i, 2), ' ') = 0 AND octet_length(substr(s, i, 2)) > 2
    UNION ALL
    SELECT substr(m[1], i, 3) FROM regexp_matches(s, '[\x01-\x08\x0e-\x1f\x21-\x7f]{3,}', 'g') AS m,
        generate_series(1, char_length(m[1]) - 2) AS i
) AS x
$$;
--bun:split
CREATE INDEX IF NOT EXISTS customers_name_grams ON customers
    USING gin (customer_name_grams(name_key || ' ' || sort_kana || ' ' || company_name)) WITH (fastupdate = off);
