-- An ISBN-13 carries its own check: the thirteen digits weighted 1, 3, 1, 3, ..., 1 sum to a
-- multiple of ten. A mistyped ISBN (one wrong digit, two neighbours swapped) fails it, so
-- the catalog cannot hold one. Every seeded ISBN passes (V3 computes the digit); adding the
-- constraint checks the rows already there.
--
-- Only a well-formed value is checked here (CASE, whose order PostgreSQL keeps, unlike
-- AND's): a malformed one fails book_isbn_format_ck alone, never the digit arithmetic
-- with a cast error.
ALTER TABLE book ADD CONSTRAINT book_isbn_check_digit_ck CHECK (
    CASE WHEN isbn ~ '^97[89][0-9]{10}$' THEN
        (  substr(isbn,  1, 1)::int + 3 * substr(isbn,  2, 1)::int
         + substr(isbn,  3, 1)::int + 3 * substr(isbn,  4, 1)::int
         + substr(isbn,  5, 1)::int + 3 * substr(isbn,  6, 1)::int
         + substr(isbn,  7, 1)::int + 3 * substr(isbn,  8, 1)::int
         + substr(isbn,  9, 1)::int + 3 * substr(isbn, 10, 1)::int
         + substr(isbn, 11, 1)::int + 3 * substr(isbn, 12, 1)::int
         + substr(isbn, 13, 1)::int) % 10 = 0
    ELSE true
    END
);
