"""Time the language server on a real history: from an edit sent to its diagnostics received.

A history (default: /tmp/hist/lemmy, a diesel history of 342 migrations) is copied to a
temporary workspace. `schemagate server` is started as an editor starts it and driven over
stdio by pygls's client: initialize, open a migration near the end of the history (the
first publish pays for discovering and parsing the workspace and folding it), then
``--edits`` edits of that buffer, alternating between adding a statement and taking it away
again, each a full-text didChange. The time of an edit is from the moment the didChange is
written until the publishDiagnostics for its version arrives: what the editor waits for.

With ``--also-open`` the last migration of the history is opened too before the edits:
each edit then also re-lints it (one engine run reports both), as an editor with two
migrations of one history open would have it.

Beside it, the same edits in-process (`lint.workspace.Workspace.update` + `lint_files`),
which shows the cost without the protocol, in wall-clock and in CPU time (the latter moves
little when other processes load the machine).

    python benchmarks/bench_server.py --history /tmp/hist/lemmy --edits 40
    python benchmarks/bench_server.py --history /tmp/hist/openmeter --edits 40 --also-open

Against an older checkout, for a side-by-side comparison on a loaded machine:

    PYTHONPATH=/path/to/old/src python benchmarks/bench_server.py --history /tmp/hist/lemmy
"""

from __future__ import annotations

import argparse
import asyncio
import os
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


def _targets(root: Path, position: int = -3) -> tuple[Path, Path]:
    """The migration at ``position`` in the history's order (default: near the end), and the
    last one (their up scripts)."""
    workspace = Workspace.open(root, load_config(None, root)[0])
    near, last = workspace.migrations[position].source.up, workspace.migrations[-1].source.up
    assert near is not None and last is not None
    return root / near.path, root / last.path


def _cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) a process has used so far (Linux: /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _drive(root: Path, file: Path, edits: int, also: Path | None
                 ) -> tuple[float, list[float], float]:
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
    if also is not None:
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=also.as_uri(), language_id="sql",
                                                 version=0,
                                                 text=also.read_text(encoding="utf-8"))))
        await published.setdefault(0, asyncio.Event()).wait()
    uri, text = file.as_uri(), file.read_text(encoding="utf-8")
    start = time.perf_counter()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="sql", version=1,
                                             text=text)))
    await published.setdefault(1, asyncio.Event()).wait()
    first = time.perf_counter() - start
    times = []
    pid = client._server.pid if client._server is not None else None
    cpu_before = _cpu_seconds(pid) if pid is not None else 0.0
    for version in range(2, edits + 2):
        body = text + ADDED if version % 2 == 0 else text
        start = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=body)]))
        await published.setdefault(version, asyncio.Event()).wait()
        times.append(time.perf_counter() - start)
    # The server's own CPU time over all the edits (clock ticks: only the mean is precise).
    cpu = (_cpu_seconds(pid) - cpu_before) / edits if pid is not None else float("nan")
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return first, times, cpu


def _in_process(root: Path, file: Path, edits: int, also: Path | None
                ) -> tuple[float, list[float], list[float]]:
    start = time.perf_counter()
    workspace = Workspace.open(root, load_config(None, root)[0])
    paths = [workspace.path_of(f) for f in (file, also) if f is not None]
    path = paths[0]
    assert path is not None
    for p in paths:
        assert p is not None
        workspace.update(p, (root / p).read_text(encoding="utf-8"))
    # An older checkout (PYTHONPATH=<it>/src, to compare) has lint_file only.
    lint = getattr(workspace, "lint_files", None) or (
        lambda files: [workspace.lint_file(f) for f in files])
    lint(p for p in paths if p is not None)
    opened = time.perf_counter() - start
    text = file.read_text(encoding="utf-8")
    times, cpu = [], []
    for version in range(2, edits + 2):
        body = text + ADDED if version % 2 == 0 else text
        start, start_cpu = time.perf_counter(), time.process_time()
        workspace.update(path, body)
        lint(p for p in paths if p is not None)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return opened, times, cpu


def _summary(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p90 = ms[min(len(ms) - 1, int(len(ms) * 0.9))]
    return (f"median {statistics.median(ms):.1f} ms, p90 {p90:.1f} ms, "
            f"min {ms[0]:.1f} ms, max {ms[-1]:.1f} ms ({len(ms)} edits)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=Path, default=Path("/tmp/hist/lemmy"))
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--also-open", action="store_true",
                        help="open the history's last migration too")
    parser.add_argument("--position", type=int, default=-3,
                        help="which migration to edit, by its place in the history's order "
                        "(default -3, near the end: where new migrations are written; 0 "
                        "is the worst case, every later migration is folded again)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        root = Path(tmp) / args.history.name
        shutil.copytree(args.history, root)
        file, last = _targets(root, args.position)
        also = last if args.also_open else None
        first, times, server_cpu = asyncio.run(_drive(root, file, args.edits, also))
        opened, local, cpu = _in_process(root, file, args.edits, also)
        print(f"history: {args.history} ({sum(1 for _ in root.rglob('*') if _.is_file())} "
              f"files), edited: {file.relative_to(root)}"
              + (f", also open: {also.relative_to(root)}" if also else ""))
        print(f"server over stdio: first publish after didOpen {first * 1000:.0f} ms; "
              f"didChange to publishDiagnostics: {_summary(times)}; "
              f"server CPU time per edit: mean {server_cpu * 1000:.1f} ms")
        print(f"in process: workspace opened and folded in {opened * 1000:.0f} ms; "
              f"update + lint_files: {_summary(local)}")
        # CPU time: what the edit costs, whatever else the machine is running.
        print(f"in process, CPU time: update + lint_files: {_summary(cpu)}")


if __name__ == "__main__":
    main()
