-- Reporting wants orders by status; the table is large in production.
CREATE INDEX orders_status_idx ON orders (status);
ALTER TABLE orders ADD COLUMN region text NOT NULL;
ALTER TABLE users ALTER COLUMN name TYPE varchar(50);
