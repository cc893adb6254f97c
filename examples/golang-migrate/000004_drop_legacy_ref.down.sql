ALTER TABLE users RENAME COLUMN full_name TO name;
ALTER TABLE orders ADD COLUMN legacy_ref text;
