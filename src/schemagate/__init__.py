"""schemagate: a quality gate for database schema changes."""

__version__ = "0.1.0"
