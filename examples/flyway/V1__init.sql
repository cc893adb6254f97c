CREATE TABLE products (
    id    bigserial PRIMARY KEY,
    sku   varchar(64) NOT NULL,
    price numeric(10, 2) NOT NULL
);
