-- The grams of a customer's name move into the row's grams (issue 20):
-- each prefixed by '~' (see customer/fragment.go nameGrams), beside the
-- search text's bigrams, so the one GIN index customers_grams holds both.
-- Importing 100 000 customers spent 7.5–9 s of the server's CPU on the
-- expression index customers_name_grams (evaluating customer_name_grams
-- in SQL for every row); the engine now derives the grams in Go, as it
-- does the search text's. A bigram of a search term is two characters,
-- a prefixed gram three or four: a keyword search never meets one.
--
-- Existing rows get theirs from the function, which computes a superset
-- of what the Go side derives (it splits bigrams at the ASCII space only,
-- Go at every white space); then the index and the function go.
UPDATE customers SET grams = grams ||
    ARRAY(SELECT '~' || g FROM unnest(customer_name_grams(name_key || ' ' || sort_kana || ' ' || company_name)) AS g);
--bun:split
DROP INDEX IF EXISTS customers_name_grams;
--bun:split
DROP FUNCTION IF EXISTS customer_name_grams(text);
--bun:split
-- With ten more grams per row (on 100 000 customers of the benchmark's
-- data), the default statistics kept too few of the column's common
-- elements: a bigram missing from them was estimated common, and a search
-- for a rare or absent word (手洗, 鰻鰯) walked the tenant in reading order
-- (0.5–0.7 s) instead of asking the index (1–4 ms). Ten times the default
-- keeps ten times as many.
ALTER TABLE customers ALTER COLUMN grams SET STATISTICS 1000;
