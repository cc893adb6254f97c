"""Settings from `[tool.schemagate]` in pyproject.toml or from schemagate.toml.

The nearest file upwards from the working directory wins; `--config FILE` names one. Every
key is checked: a typo is a usage error, not a silently ignored setting.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, get_args

from schemagate.model.errors import SchemagateError
from schemagate.model.findings import Severity
from schemagate.model.migration import Layout, TransactionMode
from schemagate.model.settings import Settings

_KEYS = {"select", "ignore", "fail-on", "pg-version", "dialect", "severity",
         "small-table-rows", "require-reason", "transactions", "vars", "fill-placeholders",
         "allow-empty", "cache", "cache-dir", "baseline", "lock-timeout",
         "jobs", "verify-setup"}


class ConfigError(SchemagateError, ValueError):
    """The configuration file cannot be read or says something invalid."""


def config_candidates(given: Path | None, start: Path, found: Path | None) -> list[Path]:
    """The files whose presence or content decided the settings `load_config` made: the
    file given, else both names in every folder `find_config` looked in, from ``start`` up
    to the one holding the file it ``found`` (to the root when it found none)."""
    if given is not None:
        return [given]
    out = []
    for folder in (start, *start.parents):
        out += [folder / "schemagate.toml", folder / "pyproject.toml"]
        if found is not None and found.parent == folder:
            break
    return out


def find_config(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / "schemagate.toml").is_file():
            return folder / "schemagate.toml"
        pyproject = folder / "pyproject.toml"
        if (pyproject.is_file() and _may_configure(pyproject)
                and "schemagate" in _read(pyproject).get("tool", {})):
            return pyproject
    return None


def _may_configure(pyproject: Path) -> bool:
    """Whether a pyproject.toml can hold `[tool.schemagate]`: its bytes name us, or spell a
    key with an escape (`"\\u0073chemagate"`). Most projects' pyproject.toml does neither,
    and then tomllib (a tenth of a one-file lint's start-up) is not imported to read it."""
    try:
        data = pyproject.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{pyproject}: {exc}") from None
    return b"schemagate" in data or b"\\u" in data or b"\\U" in data


def _read(path: Path) -> dict[str, Any]:
    import tomllib  # only when there is a file to read: its regexes cost every run

    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None


def load_config(path: Path | None, start: Path) -> tuple[Settings, Path | None]:
    """Settings from the given file, or the nearest one; defaults when there is none."""
    path = path or find_config(start)
    if path is None:
        return Settings(), None
    data = _read(path)
    if path.name == "pyproject.toml" or "tool" in data:
        data = data.get("tool", {}).get("schemagate", {})
    settings = settings_from(data, str(path))
    if settings.cache_dir and not Path(settings.cache_dir).is_absolute():
        # Relative to the settings file, as a user reading it expects, not to the cwd.
        settings = replace(settings, cache_dir=str(path.parent / settings.cache_dir))
    if settings.baseline and not Path(settings.baseline).is_absolute():
        settings = replace(settings, baseline=str(path.parent / settings.baseline))
    if settings.verify_setup:
        settings = replace(settings, verify_setup=tuple(
            f if Path(f).is_absolute() else str(path.parent / f)
            for f in settings.verify_setup))
    return settings, path


def settings_from(data: dict[str, Any], where: str) -> Settings:
    unknown = set(data) - _KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}; known: "
                          f"{', '.join(sorted(_KEYS))}")
    s = Settings()
    try:
        if "select" in data:
            s = replace(s, select=tuple(_names(data["select"])))
        if "ignore" in data:
            s = replace(s, ignore=tuple(_names(data["ignore"])))
        if "fail-on" in data:
            s = replace(s, fail_on=parse_fail_on(str(data["fail-on"])))
        if "pg-version" in data:
            s = replace(s, pg_version=int(data["pg-version"]))
        if "dialect" in data:
            s = replace(s, dialect=str(data["dialect"]))
        if "small-table-rows" in data:
            s = replace(s, small_table_rows=int(data["small-table-rows"]))
        if "require-reason" in data:
            s = replace(s, require_reason=bool(data["require-reason"]))
        if "lock-timeout" in data:
            s = replace(s, lock_timeout=str(data["lock-timeout"]))
        if "severity" in data:
            s = replace(s, severity={k: Severity.parse(str(v))
                                     for k, v in dict(data["severity"]).items()})
        if "transactions" in data:
            s = replace(s, transactions=_transactions(dict(data["transactions"])))
        if "fill-placeholders" in data:
            s = replace(s, fill_placeholders=_flag(data, "fill-placeholders"))
        if "allow-empty" in data:
            s = replace(s, allow_empty=_flag(data, "allow-empty"))
        if "cache" in data:
            s = replace(s, cache=_flag(data, "cache"))
        if "cache-dir" in data:
            s = replace(s, cache_dir=str(data["cache-dir"]))
        if "baseline" in data:
            s = replace(s, baseline=_text(data, "baseline"))
        if "verify-setup" in data:
            s = replace(s, verify_setup=_files(data, "verify-setup"))
        if "jobs" in data:
            s = replace(s, jobs=_jobs(data["jobs"]))
        if "vars" in data:
            s = replace(s, variables={str(k): str(v) for k, v in dict(data["vars"]).items()})
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return s


def _flag(data: dict[str, Any], key: str) -> bool:
    value = data[key]
    if not isinstance(value, bool):
        raise ValueError(f"{key} must be true or false, not {value!r}")
    return value


def _text(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} must be a file name, not {value!r}")
    return value


def _files(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data[key]
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"{key} must be a file name or a list of them, not {value!r}")
    return tuple(names)


def _jobs(value: Any) -> int | None:
    """A number of processes, or "auto" (the CPUs available)."""
    if value == "auto":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f'jobs must be a number of processes (1 or more) or "auto", '
                         f"not {value!r}")
    return value


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


def parse_fail_on(text: str) -> Severity | None:
    if text.lower() == "never":
        return None
    return Severity.parse(text)


def _transactions(data: dict[str, Any]) -> dict[str, TransactionMode]:
    layouts, modes = get_args(Layout), get_args(TransactionMode)
    out: dict[str, TransactionMode] = {}
    for layout, mode in data.items():
        if layout not in layouts:
            raise ValueError(f"transactions: unknown layout {layout!r} ({', '.join(layouts)})")
        if mode not in modes:
            raise ValueError(f"transactions: unknown mode {mode!r} ({', '.join(modes)})")
        out[layout] = mode
    return out
