-- A generated catalog of 10,000 books. Deterministic: every value derives from the row
-- number n through fixed word lists and arithmetic (no random()), so every database built
-- from these migrations holds the same catalog, and tests can name books by ISBN.
--
-- Books are spread over 1,591 authors (37 first names x 43 last names, about 6 books each)
-- and four title patterns. Titles repeat now and then, as they do in real catalogs; the ISBN
-- keeps the order stable.

-- Loading 10,000 rows one by one into the trigram indexes (fastupdate off, see V2) is slow;
-- for this load they collect new entries in their pending list and merge it once at the end.
ALTER INDEX book_title_trgm_idx SET (fastupdate = on);
ALTER INDEX book_author_trgm_idx SET (fastupdate = on);

INSERT INTO book (isbn, title, author, published_year, price, stock)
WITH words AS (
    -- List lengths are primes, so that n modulo each length runs through all combinations.
    SELECT
        ARRAY['Silent', 'Hidden', 'Broken', 'Golden', 'Distant', 'Quiet', 'Burning', 'Frozen',
              'Lost', 'Wild', 'Crimson', 'Silver', 'Secret', 'Forgotten', 'Bright', 'Dark',
              'Endless', 'Winter', 'Summer', 'Hollow', 'Iron', 'Paper', 'Glass', 'Northern',
              'Southern', 'Last', 'First', 'Little', 'Open', 'Falling', 'Wandering']       AS adjectives,  -- 31
        ARRAY['River', 'Garden', 'Kingdom', 'Harbor', 'Mountain', 'Library', 'Forest', 'Island',
              'Mirror', 'Bridge', 'Lantern', 'Orchard', 'Tower', 'Compass', 'Letter', 'Voyage',
              'Meadow', 'Engine', 'Archive', 'Shore', 'Clock', 'Map', 'House', 'Road', 'Sky',
              'City', 'Field', 'Song', 'Machine', 'Theory', 'Atlas', 'Window', 'Market', 'Storm',
              'Valley', 'Signal', 'Harvest', 'Cathedral', 'Station', 'Lighthouse', 'Kitchen'] AS nouns,       -- 41
        ARRAY['Dawn', 'the North', 'Salt', 'Stone', 'Memory', 'the Sea', 'Ashes', 'Tomorrow',
              'Smoke', 'the Moon', 'Small Things', 'Thunder', 'Lost Time', 'the Deep', 'Maps',
              'Light', 'Rain', 'Echoes', 'Numbers', 'Bones', 'Silence', 'Kings', 'Feathers']  AS topics,      -- 23
        ARRAY['Ada', 'Alan', 'Amara', 'Bruno', 'Camille', 'Chen', 'Dmitri', 'Elena', 'Farah',
              'Felix', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kofi', 'Leila', 'Lucas', 'Maya',
              'Nadia', 'Noah', 'Olga', 'Omar', 'Paula', 'Priya', 'Quentin', 'Rosa', 'Samuel',
              'Sofia', 'Tariq', 'Teresa', 'Umberto', 'Vera', 'Walter', 'Ximena', 'Yusuf',
              'Zoe', 'Marta']                                                               AS first_names, -- 37
        ARRAY['Abbott', 'Baptiste', 'Castillo', 'Dubois', 'Eriksen', 'Fischer', 'Gallagher',
              'Haddad', 'Ivanova', 'Jansen', 'Kowalski', 'Lindqvist', 'Moreau', 'Nakamura',
              'Okafor', 'Petrov', 'Quinn', 'Rossi', 'Sato', 'Takahashi', 'Urquhart', 'Varga',
              'Whitfield', 'Xu', 'Yilmaz', 'Zielinski', 'Andersen', 'Bianchi', 'Costa',
              'Delacroix', 'Esposito', 'Fontaine', 'Gomez', 'Hughes', 'Iqbal', 'Keller',
              'Larsen', 'Mendes', 'Novak', 'Oliveira', 'Park', 'Reyes', 'Schmidt']          AS last_names   -- 43
),
numbered AS (
    SELECT n,
           -- 978-1-9, then n as a seven-digit number: the first twelve digits of the ISBN.
           '97819' || lpad(n::text, 7, '0') AS isbn12,
           -- One of 1,591 authors: 37 and 43 are coprime, so (no % 37, no % 43) names each
           -- author once; 17 is coprime to 1591, so consecutive books have different authors.
           (n * 17) % 1591                   AS author_no
    FROM generate_series(1, 10000) AS n
)
SELECT
    -- ISBN-13 check digit: weights 1, 3, 1, 3, ... over the first twelve digits.
    isbn12 || (10 - (SELECT sum(substr(isbn12, i, 1)::int * CASE WHEN i % 2 = 1 THEN 1 ELSE 3 END)
                     FROM generate_series(1, 12) AS i) % 10) % 10,
    CASE n % 4
        WHEN 0 THEN 'The ' || adjectives[1 + n % 31] || ' ' || nouns[1 + n % 41]
        WHEN 1 THEN nouns[1 + n % 41] || ' of ' || topics[1 + n % 23]
        WHEN 2 THEN adjectives[1 + n % 31] || ' ' || nouns[1 + n % 41] || ' of ' || topics[1 + n % 23]
        ELSE 'A ' || adjectives[1 + n % 31] || ' History of ' || topics[1 + n % 23]
    END,
    first_names[1 + author_no % 37] || ' ' || last_names[1 + author_no % 43],
    1950 + (n * 7) % 75,
    -- 4.49 .. 49.99, ending in .99 or .49.
    5 + (n * 29) % 46 - CASE WHEN n % 3 = 0 THEN 0.51 ELSE 0.01 END,
    -- Every 97th book is sold out; the others have 1 .. 200 copies.
    CASE WHEN n % 97 = 0 THEN 0 ELSE 1 + (n * 31) % 200 END
FROM numbered, words
ORDER BY n;

SELECT gin_clean_pending_list('book_title_trgm_idx'), gin_clean_pending_list('book_author_trgm_idx');
ALTER INDEX book_title_trgm_idx SET (fastupdate = off);
ALTER INDEX book_author_trgm_idx SET (fastupdate = off);

-- Fresh statistics, so that the planner picks the trigram indexes from the first query on
-- rather than after autovacuum's first visit.
ANALYZE book;
