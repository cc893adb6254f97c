ALTER TABLE products ALTER COLUMN price TYPE numeric(8, 2);
TRUNCATE products CASCADE;
