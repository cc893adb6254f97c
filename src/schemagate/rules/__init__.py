"""The rule catalog: one module per family, one decorated function per rule (RULES.md)."""
