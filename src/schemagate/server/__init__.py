"""The language server: `schemagate lint` kept warm over a workspace, spoken in LSP over stdio.

Editors get diagnostics for the migration they edit with the workspace's history folded
(lint/workspace.py does the linting), code actions for fixes and suppressions, and a
rule's documentation on hover. pygls speaks the protocol; it is imported only here.
"""
