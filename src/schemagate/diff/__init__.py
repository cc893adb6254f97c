"""Live schemas: read-only connections, scratch databases, introspection, compare and plan."""
