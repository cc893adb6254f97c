-- migrate:up
CREATE INDEX CONCURRENTLY accounts_plan_idx ON accounts (plan);
DELETE FROM accounts;

-- migrate:down
DROP INDEX accounts_plan_idx;
