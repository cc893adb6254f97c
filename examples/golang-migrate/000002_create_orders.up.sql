CREATE TABLE orders (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id),
    total      numeric(12, 2) NOT NULL,
    status     text NOT NULL DEFAULT 'new',
    legacy_ref text
);
CREATE INDEX orders_user_id_idx ON orders (user_id);
