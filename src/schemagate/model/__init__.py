"""The vocabulary every stage shares: spans, names, types, operations, catalog, findings.

No I/O happens here.
"""
