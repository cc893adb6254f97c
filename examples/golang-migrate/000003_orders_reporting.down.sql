ALTER TABLE users ALTER COLUMN name TYPE varchar(200);
ALTER TABLE orders DROP COLUMN region;
DROP INDEX orders_status_idx;
