ALTER TABLE products ADD COLUMN name text;
UPDATE products SET name = sku;
ALTER TABLE products ALTER COLUMN name SET NOT NULL;
