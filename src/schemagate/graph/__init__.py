"""Graphs: the schema's objects and their dependencies, and the Alembic revision DAG.

networkx is imported inside the functions that need it, never at import time: a pre-commit
run on one SQL file must not pay for it.
"""
