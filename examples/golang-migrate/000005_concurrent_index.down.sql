DROP INDEX CONCURRENTLY orders_created_idx;
