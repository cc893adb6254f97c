"""A cache of whole lint results, so that re-linting a history nothing changed in parses,
folds and checks nothing.

An entry is what `lint` found over the migrations discovery gave (findings, what parsing
reported, the counts of the summary), stored under a key that names everything that can
change it: the code of every stage that makes it (and the parsers', through the store's
salt), the settings, the migrations to report (`--changed-since`), the texts read in place
of files (`lint --fix`'s passes), and each migration in order — its discovery record
(layout, version, transaction mode, paths, dialect) and the bytes of its files. A file
added, removed, renamed or edited, a changed setting, placeholder value or dialect, or a
new schemagate, changes the key: nothing is ever invalidated, old entries are pruned when
the folder outgrows its limit.

The schemas a history ends with (`LintResult.catalogs`, which only the markdown and HTML
reports read) are not in the entry: they are read back on first use from the fold cache's
state after the history's last migration, or linted again (`LazyCatalogs`).

Entries use the parse cache's signed, atomically written store (a concurrent run reads a
whole entry or none), in a folder of their own. With `--no-cache`, or a live database
(whose table sizes change the findings), there is no result cache.
"""

from __future__ import annotations

import os
from _blake2 import blake2b  # hashlib's, without loading OpenSSL (see parse.cache)
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from schemagate.lint.result import LintResult
from schemagate.model.findings import InputError, Notice
from schemagate.model.migration import MigrationSource
from schemagate.model.settings import Settings
from schemagate.parse.cache import ParseCache, open_store
from schemagate.parse.layouts.listing import read_start

if TYPE_CHECKING:
    from schemagate.model.catalog import Catalog

# Bump when an entry's shape changes without a code change in the packages below.
FORMAT = 1
# Everything a result depends on, and every stage that makes one (as the fold cache's).
PACKAGES = ("model", "parse", "fold", "graph", "rules", "lint")
# Results are small (findings and counts): far fewer bytes than parse entries.
LIMIT_BYTES = 64 * 1024 * 1024


class ResultCache:
    """The entry of one run's inputs: read it, or store what the run found."""

    def __init__(self, store: ParseCache, key: str, digests: dict[MigrationSource, bytes]
                 ) -> None:
        self.store = store
        self.key = key
        # Each migration's digest, for the fold cache to key its states by (read once).
        self.digests = digests

    def get(self) -> tuple[LintResult, list[InputError], list[Notice], dict[str, str]] | None:
        """The cached result (no catalogs), what parsing reported (errors, notices), and
        per history the fold cache's key of its end state; None on a miss."""
        entry = self.store.get(self.key)
        if not (isinstance(entry, tuple) and len(entry) == 8 and entry[0] == FORMAT):
            return None
        _, findings, errors, notices, files, migrations, statements, ends = entry
        result = LintResult(findings=findings, files=files, migrations=migrations,
                            statements=statements)
        return result, errors, notices, ends

    def put(self, result: LintResult, errors: list[InputError], notices: list[Notice],
            ends: dict[str, str]) -> None:
        """Store a run's result (before a baseline hides any of it) and what parsing
        reported; ``ends``: per history, the fold cache's key of the state after its last
        migration."""
        self.store.put(self.key, (FORMAT, result.findings, errors, notices, result.files,
                                  result.migrations, result.statements, ends))
        self.store.prune()


def open_result_cache(settings: Settings, sources: Sequence[MigrationSource],
                      report: Iterable[str] | None,
                      overrides: Mapping[str, str] | None = None, *,
                      contents: Mapping[str, bytes] | None = None) -> ResultCache | None:
    """The result cache's entry for a run over ``sources``; None when the settings turn
    caching off. ``contents``: files' bytes already read, by path (`Discovery.contents`)."""
    store = open_store(settings, f"result-{FORMAT}", PACKAGES)
    if store is None:
        return None
    store.limit_bytes = LIMIT_BYTES
    overrides = overrides or {}
    h = blake2b(store.salt, digest_size=20)
    h.update(f"{settings!r}\0{sorted(report) if report is not None else None}\0"
             f"{len(sources)}\0".encode())
    for path, text in sorted(overrides.items()):
        h.update(f"{len(path)}:{path}{len(text)}:".encode() + text.encode())
    digests: dict[MigrationSource, bytes] = {}
    for source in sources:
        digest = digests[source] = source_digest(source, overrides, contents)
        h.update(digest)
    return ResultCache(store, h.hexdigest(), digests)


def source_digest(source: MigrationSource, overrides: Mapping[str, str],
                  contents: Mapping[str, bytes] | None = None) -> bytes:
    """One migration as a key: its discovery record and its files' bytes (or the text read
    in place of a file); ``contents`` holds bytes already read, by path."""
    h = blake2b(repr(source).encode(), digest_size=20)
    for script in (source.up, source.down):
        if script is None:
            continue
        if script.path in overrides:
            h.update(b"\3" + overrides[script.path].encode())
            continue
        data = contents.get(script.path) if contents else None
        if data is None:
            try:
                _hash_file(h, script.path)
            except OSError as exc:  # unreadable now: keyed by why, so a fix changes the key
                h.update(f"\2{type(exc).__name__}".encode())
            continue
        h.update(b"\1%d:" % len(data))
        h.update(data)
    return h.digest()


# Files larger than this are hashed a block at a time.
_BLOCK = 1 << 20


def _hash_file(h: Any, path: str) -> None:
    """Hash a file's length and bytes as `source_digest` hashes bytes already read, without
    holding a large file: read whole, a 20 MB migration was three copies at once (the
    blocks read, their join, and the length put before it)."""
    if os.path.getsize(path) <= _BLOCK:
        data = read_start(path)
        h.update(b"\1%d:" % len(data))
        h.update(data)
        return
    with open(path, "rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        h.update(b"\1%d:" % size)
        read = 0
        while block := f.read(_BLOCK):
            h.update(block)
            read += len(block)
    if read != size:  # changed while read: never the key of the file as it was, or is
        h.update(b"\4%d" % read)


class LazyCatalogs(dict[str, "Catalog"]):
    """`LintResult.catalogs` of a cached result: made by ``load`` the first time anything
    reads them (the markdown and HTML reports do; the other formats never pay for them)."""

    def __init__(self, load: Callable[[], Mapping[str, Catalog]]) -> None:
        super().__init__()
        self._load: Callable[[], Mapping[str, Catalog]] | None = load

    def _fill(self) -> None:
        if self._load is not None:
            load, self._load = self._load, None
            dict.update(self, load())

    def __getitem__(self, key: str) -> Catalog:
        self._fill()
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        self._fill()
        return dict.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        self._fill()
        return dict.__contains__(self, key)

    def __iter__(self) -> Iterator[str]:
        self._fill()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._fill()
        return dict.__len__(self)

    def keys(self) -> Any:
        self._fill()
        return dict.keys(self)

    def values(self) -> Any:
        self._fill()
        return dict.values(self)

    def items(self) -> Any:
        self._fill()
        return dict.items(self)

    def __eq__(self, other: object) -> bool:
        self._fill()
        return dict.__eq__(self, other)

    __hash__ = None

    def copy(self) -> dict[str, Catalog]:
        self._fill()
        return dict(dict.items(self))

    def __repr__(self) -> str:
        self._fill()
        return dict.__repr__(self)
