-- schemagate: ignore drop-column -- legacy_ref unused since v2.3, archived in S3
ALTER TABLE orders DROP COLUMN legacy_ref;
ALTER TABLE users RENAME COLUMN name TO full_name;
