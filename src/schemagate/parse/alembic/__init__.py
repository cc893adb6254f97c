"""Alembic frontend: revision files read as Python source, never imported or run."""
