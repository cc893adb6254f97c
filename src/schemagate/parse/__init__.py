"""Frontends: find migrations and turn each kind of source into operations."""
