-- migrate:up
CREATE TABLE accounts (
    id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner text NOT NULL,
    plan  text NOT NULL DEFAULT 'free'
);

-- migrate:down
DROP TABLE accounts;
