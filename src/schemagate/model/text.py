"""Text from migrations and databases made safe to show: no character in it may end a line
or drive a terminal.

Names and paths come from files anyone can commit and from catalogs anyone who can create a
table can write to. A newline in a table name would end a `--` comment in a generated script
(and start a statement of the attacker's choosing); an ESC or BEL would drive the terminal of
whoever reads the output; a right-to-left override would make a reader see a name other than
the one that is there. `escape_controls` shows each such character as a backslash escape
instead, so the text stays on one line and reads as what it is.
"""

from __future__ import annotations

import re

# Cc: C0, DEL, C1 (U+0085 NEL among them); Zl, Zp: U+2028 LINE SEPARATOR, U+2029 PARAGRAPH
# SEPARATOR, which editors and some terminals break lines at; the bidirectional controls
# (U+061C, U+200E/F, U+202A..E, U+2066..9), which reorder what a reader sees.
_UNSAFE = "\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_ANY = re.compile(f"[{_UNSAFE}]")
_PATTERNS: dict[str, re.Pattern[str]] = {"": _ANY}


def _escape(ch: str) -> str:
    code = ord(ch)
    return _SHORT.get(ch) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def escape_controls(text: str, keep: str = "") -> str:
    """``text`` with every control, line-separator and bidirectional-control character shown
    as an escape (``\\n``, ``\\x1b``, ``\\u2028``); the characters in ``keep`` (say, the
    newlines of a multi-line statement shown as a block) are left as they are.

    Backslashes are not doubled: the result is for reading, and a path such as
    ``C:\\temp`` must read as written. Applying it twice changes nothing more.
    """
    pattern = _PATTERNS.get(keep)
    if pattern is None:
        # Every character _UNSAFE names is in the Basic Multilingual Plane.
        chars = [c for c in map(chr, range(0x10000)) if _ANY.match(c) and c not in keep]
        pattern = re.compile("[" + "".join(re.escape(c) for c in chars) + "]")
        _PATTERNS[keep] = pattern
    if not pattern.search(text):
        return text
    return pattern.sub(lambda m: _escape(m.group(0)), text)


# C0 controls are left out: json.dumps escapes them in strings, and its indenting newlines
# are structure.
_JSON_UNSAFE = re.compile(f"[{_UNSAFE.removeprefix(chr(0) + '-' + chr(0x1f))}]")


def escape_json(text: str) -> str:
    """JSON text (from json.dumps) with the characters above written as ``\\uXXXX``.

    json.dumps escapes C0 controls itself, but with ensure_ascii off it writes DEL, C1
    controls, line separators and bidirectional controls raw; outside strings JSON text is
    ASCII, so each of them is inside a string, where the escape means the same character.
    The values stay exact; only their spelling changes.
    """
    # Of the characters above, only DEL is ASCII, and most reports are ASCII throughout:
    # two scans in C then replace the regular expression's test of every character.
    if text.isascii() and "\x7f" not in text:
        return text
    if not _JSON_UNSAFE.search(text):
        return text
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
