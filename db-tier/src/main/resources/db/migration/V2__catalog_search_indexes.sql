-- Catalog search: q matches title OR author as a case-insensitive substring, results ordered
-- by (title, isbn). The query the app tier runs has this shape:
--   WHERE title ILIKE '%' || :q || '%' OR author ILIKE '%' || :q || '%'
--   ORDER BY title, isbn
-- A btree index cannot serve a leading wildcard; trigram indexes can (one bitmap index scan
-- per column, combined with BitmapOr). They match ILIKE on the plain columns, not lower(...).

-- Trusted extension (PostgreSQL 13+): the database owner may create it, no superuser needed.
-- It lands in the schema being migrated (the first one on Flyway's search_path).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- fastupdate off: new books go straight into the index instead of a pending list that every
-- search would scan linearly until the next vacuum. Books are added rarely; stock updates do
-- not touch these columns and do not write to these indexes at all.
CREATE INDEX book_title_trgm_idx ON book USING gin (title gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX book_author_trgm_idx ON book USING gin (author gin_trgm_ops) WITH (fastupdate = off);

-- The stable catalog order; also serves the first pages of an unfiltered catalog.
CREATE INDEX book_title_isbn_idx ON book (title, isbn);
