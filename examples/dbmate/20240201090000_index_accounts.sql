-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY accounts_owner_idx ON accounts (owner);

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY accounts_owner_idx;
