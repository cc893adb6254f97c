"""Alembic revisions under verify: found, ordered and run through Alembic's own API.

`order` puts revisions in the revision graph's order, `project` finds the alembic.ini that
runs them, `run` drives `alembic upgrade`/`downgrade` one revision at a time, and `trace`
records what each command sends. Nothing here is imported by the rest of verify except
through `verify.run`, which calls it for the Alembic layout.
"""
