SET lock_timeout = '5s';
CREATE INDEX CONCURRENTLY orders_created_idx ON orders (user_id, total);
