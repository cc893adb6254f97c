"""The engine: run the rules over the folded history, apply suppressions and settings."""
