"""PostgreSQL frontend: SQL files parsed with pglast."""
