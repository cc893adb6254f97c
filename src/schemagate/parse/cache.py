"""A content-addressed cache of parse results, so that an unchanged file is parsed once.

An entry is what a frontend returned for one script (or one Alembic file): its statements,
operations, spans, suppressions and errors. Its key is a hash of everything the frontend
reads: the text after placeholders are filled (so the file's bytes and the ``--var``
values), the script's path, transaction mode and section, the dialect, the frontend, the
schemagate version and `FORMAT`. Change any of them and the key changes: nothing is ever
invalidated, old entries just stop being read and are pruned.

The entries are pickles, and a pickle runs code when it is loaded, so each one carries a
keyed hash (blake2b; HMAC-SHA256 for a large one) under a secret that lives in the user's
own cache folder: an entry a repository ships in a ``cache-dir`` it configures, or that
anyone else wrote, fails the check and is a miss. Writes go to a temporary file that is
then renamed over the entry, so a concurrent run sees a whole entry or none. Any entry that
cannot be read, checked or unpickled is a miss, never an error; a cache folder that cannot
be written is no cache.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pickle
import sys

# hashlib's blake2b and hmac's compare_digest, without the OpenSSL that importing those
# modules loads (a few ms of every run).
from _blake2 import blake2b
from _operator import _compare_digest as compare_digest
from pathlib import Path
from typing import TYPE_CHECKING, Any

from schemagate import __version__
from schemagate.model.settings import Settings

if TYPE_CHECKING:  # a result-cache hit reads no source text
    from schemagate.parse.source import SourceText

# Bump when the IR's shape changes without a version bump (a development checkout).
FORMAT = 5
DEFAULT_LIMIT_BYTES = 256 * 1024 * 1024
# The code an entry depends on: the IR's classes and the frontends, and the parsers.
_SOURCE_PACKAGES = ("model", "parse")
_PARSERS = ("pglast", "sqlglot", "libcst")
_MAC_SIZE = 32
_SECRET_FILE = "secret"


def user_cache_root() -> Path:
    """The user's cache folder for schemagate (``~/.cache/schemagate`` on Linux)."""
    if sys.platform == "linux":  # what platformdirs says, without importing it (and tempfile)
        base = os.environ.get("XDG_CACHE_HOME", "")
        return Path(base.strip() or os.path.expanduser("~/.cache"), "schemagate")
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("schemagate", appauthor=False))


def open_cache(settings: Settings) -> ParseCache | None:
    """The cache the settings ask for; None when they turn it off or it cannot be set up."""
    return open_store(settings, f"parse-{FORMAT}", _SOURCE_PACKAGES)


def open_store(settings: Settings, name: str, packages: tuple[str, ...]) -> ParseCache | None:
    """A signed store of its own in the cache folder (``name`` its subfolder), salted with
    the code of ``packages`` (schemagate's subpackages its entries depend on); None when the
    settings turn the cache off or it cannot be set up."""
    if not settings.cache:
        return None
    root = user_cache_root()
    secret = _secret(root)
    if secret is None:
        return None
    folder = Path(settings.cache_dir) if settings.cache_dir else root
    return ParseCache(folder / name, secret, salt=code_fingerprint(packages))


def code_fingerprint(packages: tuple[str, ...] = _SOURCE_PACKAGES) -> bytes:
    """Names, sizes and mtimes of the code a parse result depends on, without importing it.

    The version alone is not enough: a development checkout changes the IR without changing
    the version, and an entry pickled from an older class would load into the new one.
    Worked out once per process and set of packages (a run opens three stores): the code
    that runs is the code this process started with.
    """
    known = _fingerprints.get(packages)
    if known is not None:
        return known
    h = blake2b(f"schemagate {__version__} cache format {FORMAT}".encode())
    package = Path(__file__).resolve().parent.parent
    for name in packages:
        for folder, dirs, files in os.walk(package / name):
            dirs.sort()
            for file in sorted(files):
                if file.endswith(".py"):
                    st = os.stat(os.path.join(folder, file))
                    h.update(f"{folder}/{file} {st.st_size} {st.st_mtime_ns}\0".encode())
    for parser in _PARSERS:
        spec = importlib.util.find_spec(parser)
        origin = spec.origin if spec and spec.origin else ""
        mtime = os.stat(origin).st_mtime_ns if origin else 0
        h.update(f"{parser} {origin} {mtime}\0".encode())
    _fingerprints[packages] = digest = h.digest()
    return digest


_fingerprints: dict[tuple[str, ...], bytes] = {}


def _secret(root: Path) -> bytes | None:
    """The per-user key entries are signed with, made on first use (readable by the user only)."""
    path = root / _SECRET_FILE
    try:
        return path.read_bytes()
    except OSError:
        pass
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = _write_temporary(root / _SECRET_FILE, os.urandom(32))
        try:
            os.link(tmp, path)  # fails if another run made it first: then use theirs
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
        return path.read_bytes()
    except OSError:
        return None


# How far past its limit a cache folder may grow before a run lists it (`ParseCache.prune`).
PRUNE_SHARE = 1 / 64
# The largest source file whose parse is cached (see `ParseCache.admits`).
MAX_ENTRY_SOURCE_BYTES = 1024 * 1024


class ParseCache:
    """Entries in one folder, one file per key; see the module docstring."""

    def __init__(self, folder: Path, secret: bytes, *, salt: bytes = b"",
                 limit_bytes: int = DEFAULT_LIMIT_BYTES) -> None:
        self.folder = folder
        self.secret = secret
        self.salt = salt
        self.limit_bytes = limit_bytes
        self.written = 0
        self.written_bytes = 0
        self._last_key = ""

    def admits(self, text: SourceText) -> bool:
        """Whether a parse of ``text`` is worth keeping. A generated multi-megabyte file is
        left out: pickling its parse (every clause's span worked out) takes several times
        the memory of linting it — 1.8 GB for a 20 MB file — and the cache is for the many
        small files of a history, which a re-run reads back instead of parsing. (A script
        this long is not held parsed whole either: `parse.postgres.frontend.STREAM_CHARS`.)"""
        return len(text.data) <= MAX_ENTRY_SOURCE_BYTES

    def key(self, frontend: str, text: SourceText, inputs: object) -> str:
        """The key of one frontend call: ``inputs`` is the repr-able rest of its arguments."""
        h = blake2b(self.salt, digest_size=20)
        h.update(f"{frontend}\0{text.path}\0{inputs!r}\0".encode())
        h.update(text.data)
        return h.hexdigest()

    def get(self, key: str) -> Any | None:
        """The entry under ``key``, or None: absent, torn, forged or from another format."""
        try:
            blob = (self.folder / key).read_bytes()
        except OSError:
            return None
        mac, payload = blob[:_MAC_SIZE], blob[_MAC_SIZE:]
        if not compare_digest(mac, self._mac(payload)):
            return None
        try:
            return pickle.loads(payload)
        except Exception:  # a payload we signed but cannot load (a changed class): a miss
            return None

    def put(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key``; what cannot be pickled or written is skipped."""
        try:
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (RecursionError, pickle.PicklingError, TypeError, AttributeError):
            return  # a tree too deep to pickle: parsed again next time, as without a cache
        try:
            if not self.written:
                self.folder.mkdir(parents=True, exist_ok=True)
            _write_atomically(self.folder / key, self._mac(payload) + payload)
        except OSError:
            return
        self.written += 1
        self.written_bytes += _MAC_SIZE + len(payload)
        self._last_key = key

    def prune(self) -> None:
        """Delete the oldest entries while the folder is over its limit (after writing only).

        Listing the folder costs as much as a warm run's other cache reads when it holds a
        long history's entries and the run wrote one (the file being edited), so a run
        looks with a chance of its share of `PRUNE_SHARE` of the limit: the folder then
        outgrows its limit by about that share between looks. The chance is drawn from the
        key last written, a hash: the same inputs prune alike.
        """
        if not self.written:
            return
        if self.written_bytes < self.limit_bytes * PRUNE_SHARE * _coin(self._last_key):
            return
        entries = []
        total = 0
        try:
            with os.scandir(self.folder) as it:
                for entry in it:
                    try:
                        st = entry.stat()
                    except OSError:
                        continue
                    entries.append((st.st_mtime, st.st_size, entry.path))
                    total += st.st_size
        except OSError:
            return
        if total <= self.limit_bytes:
            return
        entries.sort()
        target = self.limit_bytes * 3 // 4  # some room, so that the next run does not prune
        for _, size, path in entries:
            if total <= target:
                break
            try:
                os.unlink(path)
            except OSError:
                continue
            total -= size

    def _mac(self, payload: bytes) -> bytes:
        if len(payload) >= _LARGE_PAYLOAD:
            return _hmac_sha256(self.secret, payload)
        return blake2b(payload, key=self.secret, digest_size=_MAC_SIZE).digest()


# From this size an entry (the fold cache's states, megabytes for a long history) is signed
# with HMAC-SHA256, which OpenSSL computes with the CPU's SHA instructions where it has
# them: 3.9 ms against blake2b's 11.6 ms for a 6.7 MB state here. Smaller entries keep
# blake2b, which needs no OpenSSL loaded (about as much work as signing 1 MB).
_LARGE_PAYLOAD = 1024 * 1024


def _hmac_sha256(key: bytes, payload: bytes) -> bytes:
    try:
        from _hashlib import hmac_digest  # OpenSSL's one-shot HMAC, as `hmac.digest` uses
    except ImportError:  # a Python built without OpenSSL
        import hmac

        return hmac.digest(key, payload, "sha256")
    return hmac_digest(key, payload, "sha256")


def _coin(key: str) -> float:
    """A number in [0, 1) drawn from a key (a hex digest); 0 for another key."""
    try:
        return int(key[:8], 16) / 16 ** 8
    except ValueError:
        return 0.0


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = _write_temporary(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _write_temporary(path: Path, data: bytes) -> str:
    """A new file beside ``path`` holding ``data``, readable by the user only.

    Not `tempfile`: importing it (random, shutil, bz2, lzma) costs more than a warm run's
    cache reads.
    """
    tmp = f"{path.parent}/.tmp-{os.getpid()}-{os.urandom(6).hex()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp
