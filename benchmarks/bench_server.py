"""Time the language server on a real history: from an edit sent to its diagnostics received.

A history (default: /tmp/hist/lemmy, a diesel history of 342 migrations) is copied to a
temporary workspace. `schemagate server` is started as an editor starts it and driven over
stdio by pygls's client: initialize, open a migration near the end of the history (the
first publish pays for discovering and parsing the workspace and folding it), then
``--edits`` edits of that buffer, alternating between adding a statement and taking it away
again, each a full-text didChange. The time of an edit is from the moment the didChange is
written until the publishDiagnostics for its version arrives: what the editor waits for.

Beside it, the same edits in-process (`lint.workspace.Workspace.update` + `lint_file`),
which shows the cost without the protocol.

    python benchmarks/bench_server.py --history /tmp/hist/lemmy --edits 40
    python benchmarks/bench_server.py --history /tmp/hist/openmeter --edits 40
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from schemagate.lint.config import load_config
from schemagate.lint.workspace import Workspace

# What an edit adds to the buffer, and the next one takes away again.
ADDED = "\nCREATE INDEX bench_idx ON bench_table (id);\n"


def _target(root: Path) -> Path:
    """A migration near the end of the history (its up script)."""
    workspace = Workspace.open(root, load_config(None, root)[0])
    script = workspace.migrations[-3].source.up
    assert script is not None
    return root / script.path


async def _drive(root: Path, file: Path, edits: int) -> tuple[float, list[float]]:
    client = LanguageClient("bench", "1")
    published: dict[int | None, asyncio.Event] = {}

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_publish(params: types.PublishDiagnosticsParams) -> None:
        published.setdefault(params.version, asyncio.Event()).set()

    await client.start_io(sys.executable, "-m", "schemagate", "server")
    await client.initialize_async(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="bench")]))
    client.initialized(types.InitializedParams())
    uri, text = file.as_uri(), file.read_text(encoding="utf-8")
    start = time.perf_counter()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="sql", version=1,
                                             text=text)))
    await published.setdefault(1, asyncio.Event()).wait()
    first = time.perf_counter() - start
    times = []
    for version in range(2, edits + 2):
        body = text + ADDED if version % 2 == 0 else text
        start = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=body)]))
        await published.setdefault(version, asyncio.Event()).wait()
        times.append(time.perf_counter() - start)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return first, times


def _in_process(root: Path, file: Path, edits: int) -> tuple[float, list[float]]:
    start = time.perf_counter()
    workspace = Workspace.open(root, load_config(None, root)[0])
    path = workspace.path_of(file)
    assert path is not None
    opened = time.perf_counter() - start
    text = file.read_text(encoding="utf-8")
    times = []
    for version in range(2, edits + 2):
        body = text + ADDED if version % 2 == 0 else text
        start = time.perf_counter()
        workspace.update(path, body)
        workspace.lint_file(path)
        times.append(time.perf_counter() - start)
    return opened, times


def _summary(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p90 = ms[min(len(ms) - 1, int(len(ms) * 0.9))]
    return (f"median {statistics.median(ms):.1f} ms, p90 {p90:.1f} ms, "
            f"min {ms[0]:.1f} ms, max {ms[-1]:.1f} ms ({len(ms)} edits)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=Path, default=Path("/tmp/hist/lemmy"))
    parser.add_argument("--edits", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        root = Path(tmp) / args.history.name
        shutil.copytree(args.history, root)
        file = _target(root)
        first, times = asyncio.run(_drive(root, file, args.edits))
        opened, local = _in_process(root, file, args.edits)
        print(f"history: {args.history} ({sum(1 for _ in root.rglob('*') if _.is_file())} "
              f"files), edited: {file.relative_to(root)}")
        print(f"server over stdio: first publish after didOpen {first * 1000:.0f} ms; "
              f"didChange to publishDiagnostics: {_summary(times)}")
        print(f"in process: workspace opened in {opened * 1000:.0f} ms; "
              f"update + lint_file: {_summary(local)}")


if __name__ == "__main__":
    main()
