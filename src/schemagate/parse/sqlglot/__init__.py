"""MySQL and SQLite frontend: SQL files parsed with sqlglot."""
