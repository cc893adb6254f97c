"""The Django frontend: a migration module's `operations` to IR operations, read with libcst."""
