-- The bookshop schema. Constraints make bad states unrepresentable, whatever the application does.

CREATE TABLE book (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    isbn           varchar(13)   NOT NULL,
    title          varchar(300)  NOT NULL,
    author         varchar(200)  NOT NULL,
    published_year smallint      NOT NULL,
    price          numeric(10,2) NOT NULL,
    stock          integer       NOT NULL,
    CONSTRAINT book_isbn_uk UNIQUE (isbn),
    CONSTRAINT book_isbn_format_ck CHECK (isbn ~ '^97[89][0-9]{10}$'),
    CONSTRAINT book_title_ck CHECK (length(btrim(title)) > 0),
    CONSTRAINT book_author_ck CHECK (length(btrim(author)) > 0),
    CONSTRAINT book_price_ck CHECK (price >= 0),
    CONSTRAINT book_stock_ck CHECK (stock >= 0)
);

CREATE TABLE purchase_order (
    id              uuid          PRIMARY KEY,
    idempotency_key varchar(64)   NOT NULL,
    request_hash    char(64)      NOT NULL,
    total           numeric(12,2) NOT NULL,
    created_at      timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT purchase_order_idempotency_key_uk UNIQUE (idempotency_key),
    CONSTRAINT purchase_order_idempotency_key_ck CHECK (length(idempotency_key) BETWEEN 1 AND 64),
    CONSTRAINT purchase_order_total_ck CHECK (total >= 0)
);

CREATE TABLE order_line (
    order_id   uuid          NOT NULL REFERENCES purchase_order (id) ON DELETE CASCADE,
    line_no    smallint      NOT NULL,
    book_id    bigint        NOT NULL REFERENCES book (id),
    quantity   integer       NOT NULL,
    unit_price numeric(10,2) NOT NULL,
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT order_line_quantity_ck CHECK (quantity > 0 AND quantity <= 1000),
    CONSTRAINT order_line_unit_price_ck CHECK (unit_price >= 0)
);

CREATE INDEX order_line_book_idx ON order_line (book_id);
