"""The language server end to end: `schemagate server` started as an editor starts it, and
driven over stdio by a real LSP client (pytest-lsp)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from schemagate.lint.workspace import Workspace
from schemagate.model.settings import Settings
from schemagate.server.app import LINT_ON_SAVE_CHARS

# Each test starts `schemagate server` as an editor does: slow, like the other end-to-end runs.
pytestmark = [pytest.mark.asyncio(loop_scope="function"), pytest.mark.slow]

USERS = "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n"
ORDERS = (
    "SET lock_timeout = '2s';\n"
    "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\n"
    "CREATE INDEX orders_user ON orders (user_id);\n"
    "CREATE INDEX users_email ON users (email);\n"
)


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "schemagate", "server"]))
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    yield
    await lsp_client.shutdown_session()


def _history(root: Path, second: str = ORDERS) -> Path:
    """A golang-migrate history: users, then a migration indexing users and a new table."""
    folder = root / "migrations"
    folder.mkdir(parents=True)
    (folder / "000001_users.up.sql").write_text(USERS, encoding="utf-8")
    (folder / "000001_users.down.sql").write_text("DROP TABLE users;\n", encoding="utf-8")
    (folder / "000002_orders.up.sql").write_text(second, encoding="utf-8")
    (folder / "000002_orders.down.sql").write_text(
        "DROP INDEX users_email;\nDROP TABLE orders;\n", encoding="utf-8")
    return folder / "000002_orders.up.sql"


async def _start(client: LanguageClient, root: Path,
                 encodings: list[types.PositionEncodingKind] | None = None,
                 options: dict[str, str] | None = None) -> types.InitializeResult:
    capabilities = types.ClientCapabilities(
        general=types.GeneralClientCapabilities(position_encodings=encodings)
        if encodings else None)
    return await client.initialize_session(types.InitializeParams(
        capabilities=capabilities, root_uri=root.as_uri(), initialization_options=options,
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="project")]))


def _change(client: LanguageClient, file: Path, version: int, text: str) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=file.as_uri(), version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


async def _until(client: LanguageClient, file: Path,
                 holds: Callable[[list[types.Diagnostic]], bool]) -> list[types.Diagnostic]:
    """The file's diagnostics once the last ones published for it satisfy ``holds`` (the
    server publishes the edited document first and others after it: a notification awaited
    in between could be missed, so the client's record is watched instead)."""
    for _ in range(600):
        diagnostics = list(client.diagnostics.get(file.as_uri(), []))
        if holds(diagnostics):
            return diagnostics
        await asyncio.sleep(0.05)
    raise AssertionError(f"no diagnostics for {file.name} as expected: {diagnostics}")


async def _open(client: LanguageClient, file: Path, text: str | None = None
                ) -> list[types.Diagnostic]:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(
            uri=file.as_uri(), language_id="sql", version=1,
            text=file.read_text(encoding="utf-8") if text is None else text)))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return client.diagnostics[file.as_uri()]


def _by_rule(diagnostics: list[types.Diagnostic], rule: str) -> list[types.Diagnostic]:
    return [d for d in diagnostics if d.code == rule]


async def test_an_index_on_an_older_table_is_flagged_and_one_on_a_table_of_the_same_file_is_not(
        client: LanguageClient, tmp_path: Path) -> None:
    file = _history(tmp_path)
    await _start(client, tmp_path)
    diagnostics = await _open(client, file)
    (index,) = _by_rule(diagnostics, "create-index-non-concurrently")
    assert index.range.start.line == 3  # users_email, not orders_user on line 2
    assert index.source == "schemagate"
    assert index.severity == types.DiagnosticSeverity.Warning
    assert index.code_description is not None
    assert index.code_description.href.endswith("/docs/rules/create-index-non-concurrently.md")
    assert "`public.users`" in index.message


async def test_a_code_action_suppresses_the_finding_with_a_comment(
        client: LanguageClient, tmp_path: Path) -> None:
    file = _history(tmp_path)
    await _start(client, tmp_path)
    (index,) = _by_rule(await _open(client, file), "create-index-non-concurrently")
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=file.as_uri()), range=index.range,
        context=types.CodeActionContext(diagnostics=[index])))
    assert actions is not None
    suppress = [a for a in actions if isinstance(a, types.CodeAction)
                and a.title == "Suppress create-index-non-concurrently with a comment"]
    (action,) = suppress
    assert action.edit is not None and action.edit.changes is not None
    (edit,) = action.edit.changes[file.as_uri()]
    assert edit.new_text == "-- schemagate: ignore create-index-non-concurrently\n"
    assert (edit.range.start.line, edit.range.start.character) == (3, 0)
    # The edit applied in the editor makes the finding go away.
    lines = ORDERS.splitlines(keepends=True)
    edited = "".join([*lines[:3], edit.new_text, *lines[3:]])
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=file.as_uri(), version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)]))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert _by_rule(client.diagnostics[file.as_uri()], "create-index-non-concurrently") == []


async def test_an_edit_re_publishes_the_buffer_judged_with_the_history(
        client: LanguageClient, tmp_path: Path) -> None:
    file = _history(tmp_path)
    await _start(client, tmp_path)
    assert len(_by_rule(await _open(client, file), "create-index-non-concurrently")) == 1
    # Unsaved: the index now builds CONCURRENTLY, and a column of users is dropped.
    buffer = ORDERS.replace("CREATE INDEX users_email", "CREATE INDEX CONCURRENTLY users_email"
                            ) + "ALTER TABLE users DROP COLUMN email;\n"
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=file.as_uri(), version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=buffer)]))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    diagnostics = client.diagnostics[file.as_uri()]
    assert _by_rule(diagnostics, "create-index-non-concurrently") == []
    (drop,) = _by_rule(diagnostics, "drop-column")
    assert drop.range.start.line == 4 and drop.severity == types.DiagnosticSeverity.Error
    assert file.read_text(encoding="utf-8") == ORDERS  # nothing is written


async def test_hover_on_a_finding_shows_the_rules_documentation(
        client: LanguageClient, tmp_path: Path) -> None:
    file = _history(tmp_path)
    await _start(client, tmp_path)
    (index,) = _by_rule(await _open(client, file), "create-index-non-concurrently")
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=file.as_uri()),
        position=types.Position(line=3, character=5)))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.value.startswith("# create-index-non-concurrently (locking, warning)")
    assert "## Safe alternative" in hover.contents.value
    assert hover.range == index.range
    nothing = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=file.as_uri()),
        position=types.Position(line=1, character=2)))
    assert nothing is None


# A character outside the Basic Multilingual Plane: 1 character, 2 UTF-16 units, 4 UTF-8 bytes.
WIDE = ("CREATE TABLE t (id int); COMMENT ON TABLE t IS '😀é'; "
        "ALTER TABLE users DROP COLUMN email;\n")


@pytest.mark.parametrize(("encoding", "start", "end"), [
    # `DROP COLUMN email` starts after 71 characters, two of them beyond ASCII.
    (types.PositionEncodingKind.Utf16, 72, 89),
    (types.PositionEncodingKind.Utf32, 71, 88),
    (types.PositionEncodingKind.Utf8, 75, 92),
])
async def test_a_range_after_non_ascii_text_counts_the_agreed_code_units(
        client: LanguageClient, tmp_path: Path, encoding: types.PositionEncodingKind,
        start: int, end: int) -> None:
    file = _history(tmp_path, second=WIDE)
    result = await _start(client, tmp_path, encodings=[encoding])
    assert result.capabilities.position_encoding == encoding
    (drop,) = _by_rule(await _open(client, file), "drop-column")
    assert (drop.range.start.line, drop.range.start.character) == (0, start)
    assert (drop.range.end.line, drop.range.end.character) == (0, end)


async def test_a_buffer_that_does_not_parse_is_an_error_at_the_parse_error(
        client: LanguageClient, tmp_path: Path) -> None:
    file = _history(tmp_path)
    await _start(client, tmp_path)
    diagnostics = await _open(client, file,
                              text="CREATE TABLE a (id int);\nCREATE TABLE b (id int,,);\n")
    (error,) = [d for d in diagnostics if d.code == "input-error"]
    assert error.severity == types.DiagnosticSeverity.Error
    assert error.range.start.line == 1 and error.range.start.character == 23
    assert "syntax error" in error.message


async def test_a_code_action_offers_the_rules_own_fix_when_it_has_one(
        client: LanguageClient, tmp_path: Path) -> None:
    # A single-statement golang-migrate file runs outside a transaction: where a rule's
    # CONCURRENTLY fix can apply in place. Until the rule carries a fix, only the
    # suppression is offered; once it does, its fix is offered too, as the CLI has it.
    file = _history(tmp_path, second="CREATE INDEX users_email ON users (email);\n")
    path = "migrations/000002_orders.up.sql"
    cli = next(f for f in Workspace.open(tmp_path, Settings(cache=False)).lint_file(path).findings
               if f.rule == "create-index-non-concurrently")
    await _start(client, tmp_path)
    (index,) = _by_rule(await _open(client, file), "create-index-non-concurrently")
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=file.as_uri()), range=index.range,
        context=types.CodeActionContext(diagnostics=[index])))
    assert actions is not None
    titles = [a.title for a in actions]
    fixes = [a for a in actions if isinstance(a, types.CodeAction)
             and not a.title.startswith("Suppress ")]
    assert "Suppress create-index-non-concurrently with a comment" in titles
    if cli.fix is None:
        assert fixes == []
    else:
        (fix,) = [a for a in fixes if a.title.startswith(cli.fix.title)]
        assert fix.kind == types.CodeActionKind.QuickFix and fix.edit is not None
        assert fix.is_preferred == cli.fix.safe


async def test_settings_come_from_the_workspaces_settings_file(
        client: LanguageClient, tmp_path: Path) -> None:
    file = _history(tmp_path)
    (tmp_path / "schemagate.toml").write_text('ignore = ["create-index-non-concurrently"]\n',
                                              encoding="utf-8")
    await _start(client, tmp_path)
    diagnostics = await _open(client, file)
    assert _by_rule(diagnostics, "create-index-non-concurrently") == []


async def test_a_migration_created_after_the_workspace_was_read_is_linted_when_opened(
        client: LanguageClient, tmp_path: Path) -> None:
    file = _history(tmp_path)
    await _start(client, tmp_path)
    await _open(client, file)
    new = file.parent / "000003_drop.up.sql"
    new.write_text("ALTER TABLE users DROP COLUMN email;\n", encoding="utf-8")
    (drop,) = _by_rule(await _open(client, new), "drop-column")
    assert drop.range.start.line == 0


async def test_an_edit_to_an_earlier_migration_re_publishes_a_later_open_one(
        client: LanguageClient, tmp_path: Path) -> None:
    later = _history(tmp_path, second="SET lock_timeout = '2s';\n"
                                      "CREATE INDEX users_email ON users (email);\n")
    earlier = later.parent / "000001_users.up.sql"
    await _start(client, tmp_path)
    assert len(_by_rule(await _open(client, later), "create-index-non-concurrently")) == 1
    assert _by_rule(await _open(client, earlier), "unknown-object") == []
    # Unsaved, the earlier migration no longer creates users: the later one's index is on a
    # table that does not exist, which is all that is said of it.
    _change(client, earlier, 2, "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\n")
    diagnostics = await _until(client, later, lambda ds: bool(_by_rule(ds, "unknown-object")))
    (unknown,) = _by_rule(diagnostics, "unknown-object")
    assert unknown.range.start.line == 1 and "`public.users`" in unknown.message
    assert _by_rule(diagnostics, "create-index-non-concurrently") == []
    # And back: the finding on the later migration goes away again.
    _change(client, earlier, 3, USERS)
    diagnostics = await _until(client, later, lambda ds: not _by_rule(ds, "unknown-object"))
    assert len(_by_rule(diagnostics, "create-index-non-concurrently")) == 1
    # Closing the earlier buffer lets its file count again: nothing changes for the later one.
    assert later.read_text(encoding="utf-8").startswith("SET lock_timeout")


@pytest.fixture
def sized_db(pg_db: str) -> Iterator[str]:
    from schemagate.diff.connect import connect

    with connect(pg_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE big (id bigint, email text)")
        conn.execute("INSERT INTO big SELECT g, 'u' || g FROM generate_series(1, 20000) g")
        conn.execute("CREATE TABLE small (id bigint, email text)")
        conn.execute("INSERT INTO small SELECT g, 'u' || g FROM generate_series(1, 10) g")
        conn.execute("ANALYZE big, small")  # its tables only: a bare ANALYZE reads the catalogs too
    yield pg_db


SIZED = ("SET lock_timeout = '2s';\n"
         "CREATE INDEX big_email ON big (email);\n"
         "CREATE INDEX small_email ON small (email);\n")


def _sized_history(root: Path) -> Path:
    """A history whose tables predate it (the database's big and small)."""
    folder = root / "migrations"
    folder.mkdir(parents=True)
    (folder / "000001_index.up.sql").write_text(SIZED, encoding="utf-8")
    (folder / "000002_more.up.sql").write_text("SELECT 1;\n", encoding="utf-8")
    return folder / "000001_index.up.sql"


async def test_with_a_database_table_sizes_are_read_once_and_judge_as_lint_db_does(
        client: LanguageClient, tmp_path: Path, sized_db: str) -> None:
    file = _sized_history(tmp_path)
    await _start(client, tmp_path, options={"db": sized_db})
    by_line = {d.range.start.line: d for d in
               _by_rule(await _open(client, file), "create-index-non-concurrently")}
    assert by_line[1].severity == types.DiagnosticSeverity.Warning  # 20,000 rows
    assert by_line[2].severity == types.DiagnosticSeverity.Information  # a small table
    assert client.messages == []


async def test_a_database_that_cannot_be_read_is_said_once_and_otherwise_ignored(
        client: LanguageClient, tmp_path: Path) -> None:
    file = _sized_history(tmp_path)
    await _start(client, tmp_path, options={"db": "postgresql://nobody@127.0.0.1:1/none"})
    diagnostics = _by_rule(await _open(client, file), "create-index-non-concurrently")
    assert [d.severity for d in diagnostics] == [types.DiagnosticSeverity.Warning] * 2
    _change(client, file, 2, SIZED + "SELECT 1;\n")
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    await _open(client, file.parent / "000002_more.up.sql")
    (message,) = client.messages
    assert message.type == types.MessageType.Warning
    assert "table sizes not read from the database" in message.message


async def test_a_buffer_over_the_limit_is_linted_when_saved_not_as_it_is_typed(
        client: LanguageClient, tmp_path: Path) -> None:
    """Each lint of a long generated migration takes seconds: edits sent meanwhile would
    queue a lint each, and every request behind them. It is linted on open and on save."""
    file = _history(tmp_path)
    long = ORDERS + ("-- " + "generated " * 100 + "\n") * 1100
    assert len(long) > LINT_ON_SAVE_CHARS
    file.write_text(long, encoding="utf-8")
    await _start(client, tmp_path)
    assert len(_by_rule(await _open(client, file), "create-index-non-concurrently")) == 1
    edited = long + "ALTER TABLE users DROP COLUMN email;\n"
    _change(client, file, 2, edited)
    _change(client, file, 3, edited + "SELECT 1;\n")
    for _ in range(40):  # the message comes at once; no lint follows the changes
        if client.messages:
            break
        await asyncio.sleep(0.05)
    (message,) = client.messages
    assert "linted when saved" in message.message and file.name in message.message
    assert _by_rule(client.diagnostics[file.as_uri()], "drop-column") == []
    file.write_text(edited + "SELECT 1;\n", encoding="utf-8")
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=file.as_uri())))
    diagnostics = await _until(client, file, lambda d: bool(_by_rule(d, "drop-column")))
    assert len(_by_rule(diagnostics, "drop-column")) == 1
