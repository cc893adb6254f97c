"""`schemagate server`: the language server's session and its handlers, over stdio.

The session keeps one `lint.workspace.Workspace` per workspace folder, opened the first time
a document of that folder is opened: discovery, parsing and the settings file are those of
`schemagate lint` run in that folder, and every open document's text stands for its file
from then on. An edit re-parses only the edited buffer and re-runs the engine from the
state kept just before the edited migration (milliseconds on a history of a few hundred
migrations, BENCHMARKS.md). That one run reports every open document of the folder: the
edited one is published, and each other one whose diagnostics changed (a later migration
judged by the schema the edited one builds) is published again too. Closing a document lets
its file on disk count again, with the same re-publishing; saving a settings file starts
the folder afresh.

With a database URL (`schemagate server --db URL`, or `db` in the client's
initializationOptions), the live tables' sizes are read once, when the first folder is
opened, in a read-only transaction with lock, statement and connect timeouts, exactly as
`schemagate lint --db` reads them; a failure is shown once as a window message, and the
folder is then linted without them. Nothing connects again on an edit.

Each published document keeps its findings and the lines they were measured on, so that
code actions and hover answer from what the editor shows without linting again.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from schemagate import __version__
from schemagate.lint.workspace import FileLint, Workspace
from schemagate.model.errors import SchemagateError
from schemagate.model.findings import Finding
from schemagate.model.names import QName
from schemagate.model.stats import TableStats
from schemagate.rules.registry import by_id, explanation
from schemagate.server.actions import fix_action, suppress_action
from schemagate.server.diagnostics import error_diagnostic, finding_diagnostic
from schemagate.server.positions import (
    UTF16,
    contains,
    lines_of,
    overlaps,
    span_range,
)

_SETTINGS_FILES = ("pyproject.toml", "schemagate.toml")
# A buffer longer than this (in characters) is linted when it is opened or saved, not at
# every change: its lint takes seconds (a 5 MB generated migration, about 14 s), and edits
# sent meanwhile would queue one lint each behind it, every request with them.
LINT_ON_SAVE_CHARS = 1 << 20


@dataclass
class Published:
    """What was last published for one document."""

    workspace: Workspace
    root: Path  # the folder of the workspace
    path: str  # as the workspace names it
    lines: list[str]
    findings: list[Finding]
    diagnostics: list[types.Diagnostic]


@dataclass
class Session:
    """The server's state: the workspaces opened so far and what each document shows."""

    workspaces: dict[Path, Workspace] = field(default_factory=dict)
    published: dict[str, Published] = field(default_factory=dict)  # by document URI
    # Folders whose settings could not be used, with the reason already shown to the user.
    broken: dict[Path, str] = field(default_factory=dict)
    # A live database to read table sizes from (None: none), and the sizes once read
    # (None: not read, or they could not be).
    db: str | None = None
    stats: Mapping[QName, TableStats] | None = None
    stats_read: bool = False
    # Documents told once that they are linted on save (their length), by URI.
    on_save: set[str] = field(default_factory=set)


class SchemagateServer(LanguageServer):
    """pygls's server with the session it serves."""

    def __init__(self, db: str | None = None) -> None:
        super().__init__("schemagate", __version__,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.session = Session(db=db)

    @property
    def encoding(self) -> str:
        """The position encoding agreed with the client ("utf-16" unless it offered another)."""
        agreed = self.workspace.position_encoding
        return str(getattr(agreed, "value", agreed) or UTF16)

    def root_for(self, file: Path) -> Path:
        """The workspace folder holding ``file`` (the deepest, when folders nest); outside
        every folder, the folder of the nearest settings file, else the file's own folder."""
        roots = [Path(to_fs_path(f.uri) or "") for f in self.workspace.folders.values()]
        if self.workspace.root_path:
            roots.append(Path(self.workspace.root_path))
        holding = [r.resolve() for r in roots if r.parts and _under(file, r.resolve())]
        if holding:
            return max(holding, key=lambda r: len(r.parts))
        from schemagate.lint.config import find_config

        config = find_config(file.parent)
        return config.parent if config is not None else file.parent

    def workspace_for(self, root: Path) -> Workspace | None:
        """The workspace of a folder, opened (discovered and parsed) the first time; None
        when its settings cannot be used (the reason is shown once)."""
        if root in self.session.workspaces:
            return self.session.workspaces[root]
        if root in self.session.broken:
            return None
        from schemagate.lint.config import load_config

        try:
            settings, _ = load_config(None, root)
            workspace = Workspace.open(root, settings, stats=self.table_stats())
        except SchemagateError as exc:
            self.session.broken[root] = str(exc)
            self.window_show_message(types.ShowMessageParams(
                type=types.MessageType.Error, message=f"schemagate: {exc}"))
            return None
        # Every open document of the folder stands for its file from the start.
        for uri, document in list(self.workspace.text_documents.items()):
            fs_path = to_fs_path(uri)
            file = Path(fs_path).resolve() if fs_path else None
            path = workspace.path_of(file) if file is not None else None
            if file is not None and path is not None and self.root_for(file) == root:
                workspace.update(path, document.source)
        self.session.workspaces[root] = workspace
        # The parsed history lives as long as the session: the cycle collector need not
        # walk it again on every edit (it took a long edit's worst case from 37 to 17 ms
        # of CPU on openmeter). What an edit makes is collected as before.
        gc.collect()
        gc.freeze()
        return workspace

    def table_stats(self) -> Mapping[QName, TableStats] | None:
        """The live tables' sizes, read the first time a folder is opened and kept for the
        session (None: no database, or it could not be read; the reason is shown once, and
        every folder is linted without them)."""
        if self.session.db is not None and not self.session.stats_read:
            self.session.stats_read = True
            try:
                from schemagate.diff.stats import table_stats

                self.session.stats = table_stats(self.session.db)
            # Whatever stops the read (no psycopg, no server, a refused login, a timeout)
            # is shown once; the editor goes on without sizes.
            except Exception as exc:
                self.window_show_message(types.ShowMessageParams(
                    type=types.MessageType.Warning,
                    message=f"schemagate: table sizes not read from the database; findings "
                            f"are judged without them ({exc})"))
        return self.session.stats

    def lint_document(self, uri: str, *, changed: bool = True, rediscover: bool = False
                      ) -> None:
        """Lint one open document with its buffer standing for its file, and publish.
        ``rediscover``: a document no migration holds makes discovery run again (it may
        have been created since); not on every keystroke, only on open and save."""
        fs_path = to_fs_path(uri)
        document = self.workspace.get_text_document(uri)
        if fs_path is None:
            return
        file = Path(fs_path).resolve()
        root = self.root_for(file)
        workspace = self.workspace_for(root)
        path = workspace.path_of(file) if workspace is not None else None
        if workspace is None or path is None:
            self.publish(uri, document.version, [])
            return
        if changed and not workspace.update(path, document.source) and rediscover:
            workspace.refresh()
            workspace.update(path, document.source)
        self.lint_open(workspace, root, {uri: path})

    def lint_open(self, workspace: Workspace, root: Path, asked: Mapping[str, str]) -> None:
        """Lint the ``asked`` documents (URI → path) and every other open document of the
        folder in one run of the engine; publish the asked ones, and each other one whose
        diagnostics changed (its verdict may rest on an edited migration before it)."""
        others = {uri: shown.path for uri, shown in self.session.published.items()
                  if shown.root == root and uri not in asked}
        found = workspace.lint_files([*asked.values(), *others.values()])
        for uri, path in {**asked, **others}.items():
            document = self.workspace.get_text_document(uri)
            lines = lines_of(document.source)
            diagnostics = self.diagnostics(found[path], lines)
            before = self.session.published.get(uri)
            self.session.published[uri] = Published(workspace, root, path, lines,
                                                    found[path].findings, diagnostics)
            if uri in asked or before is None or before.diagnostics != diagnostics:
                self.publish(uri, document.version, diagnostics)

    def diagnostics(self, found: FileLint, lines: list[str]) -> list[types.Diagnostic]:
        return ([error_diagnostic(e, lines, self.encoding) for e in found.errors]
                + [finding_diagnostic(f, lines, self.encoding) for f in found.findings])

    def publish(self, uri: str, version: int | None, diagnostics: list[types.Diagnostic]
                ) -> None:
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=version, diagnostics=diagnostics))

    def lines_of_path(self, workspace: Workspace, path: str) -> list[str]:
        """A workspace file's lines: its open buffer, else the file on disk."""
        if path in workspace.buffers:
            return lines_of(workspace.buffers[path])
        try:
            return lines_of((workspace.root / path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            return []


def _under(file: Path, root: Path) -> bool:
    return file == root or root in file.parents


def make_server(db: str | None = None) -> SchemagateServer:
    """A server with every handler registered; `start_io()` runs it. ``db``: a live
    PostgreSQL to read table sizes from, once per folder."""
    server = SchemagateServer(db)

    @server.feature(types.INITIALIZE)
    def initialize(ls: SchemagateServer, params: types.InitializeParams) -> None:
        options = params.initialization_options
        db = options.get("db") if isinstance(options, dict) else None
        if isinstance(db, str) and db and ls.session.db is None:
            ls.session.db = db

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SchemagateServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.lint_document(params.text_document.uri, rediscover=True)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SchemagateServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        if len(ls.workspace.get_text_document(uri).source) > LINT_ON_SAVE_CHARS:
            if uri not in ls.session.on_save:
                ls.session.on_save.add(uri)
                ls.window_show_message(types.ShowMessageParams(
                    type=types.MessageType.Info,
                    message=f"schemagate: {Path(to_fs_path(uri) or uri).name} is over "
                            f"{LINT_ON_SAVE_CHARS // (1 << 20)} MiB: it is linted when "
                            "saved, not as you type"))
            return
        ls.lint_document(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: SchemagateServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        fs_path = to_fs_path(uri)
        if fs_path is not None and Path(fs_path).name in _SETTINGS_FILES:
            ls.session.workspaces.clear()
            ls.session.broken.clear()
            for open_uri in list(ls.session.published):
                ls.lint_document(open_uri)
            return
        ls.lint_document(uri, rediscover=True)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: SchemagateServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        shown = ls.session.published.pop(uri, None)
        ls.publish(uri, None, [])
        if shown is not None:
            shown.workspace.update(shown.path, None)  # the file on disk counts again
            if any(other.root == shown.root for other in ls.session.published.values()):
                ls.lint_open(shown.workspace, shown.root, {})

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: SchemagateServer, params: types.HoverParams) -> types.Hover | None:
        shown = ls.session.published.get(params.text_document.uri)
        if shown is None:
            return None
        here = [(f, span_range(shown.lines, f.span, ls.encoding)) for f in shown.findings]
        here = [(f, r) for f, r in here if contains(r, params.position)]
        rules = {r.id: r for f, _ in here if (r := by_id(f.rule)) is not None}
        if not rules:
            return None
        text = "\n\n---\n\n".join(explanation(r) for r in rules.values())
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                        value=text), range=here[0][1])

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix]))
    def code_action(ls: SchemagateServer, params: types.CodeActionParams
                    ) -> list[types.CodeAction]:
        uri = params.text_document.uri
        shown = ls.session.published.get(uri)
        if shown is None:
            return []
        workspace = shown.workspace
        actions: list[types.CodeAction] = []
        for finding in shown.findings:
            diagnostic = finding_diagnostic(finding, shown.lines, ls.encoding)
            if not overlaps(diagnostic.range, params.range):
                continue
            if finding.fix is not None:
                actions.append(fix_action(
                    finding.fix, diagnostic, lambda p: ls.lines_of_path(workspace, p),
                    lambda p: from_fs_path(str(workspace.root / p)) or "", ls.encoding))
            suppress = suppress_action(finding, diagnostic, shown.lines, uri, ls.encoding)
            if suppress is not None:
                actions.append(suppress)
        return actions

    return server


def serve(db: str | None = None) -> None:
    """Run the language server on standard input and output until the client exits."""
    make_server(db).start_io()

