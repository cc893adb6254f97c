"""The HTML report in a real browser: headless Chromium loads it from a file, makes no
request of its own, and paints a page that is not blank.

Chromium is Debian's `chromium` package; `.ci/run` installs it. Without it the tests skip,
saying so.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from schemagate.cli import main
from tests.reports.helpers import MIXED, ROOT, SCRIPT_TABLE

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium is not installed (apt-get install chromium; .ci/run installs it)"),
]

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--hide-scrollbars"]


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}",
                           "--enable-logging=stderr", "--v=0", *args],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        result = CliRunner().invoke(main, ["report", *MIXED, "-o", str(out)])
    assert result.exit_code == 1, result.output
    return out


def _page_requests(net_log: Path) -> list[str]:
    """URLs the page itself asked for, from Chromium's net log. The browser's own traffic
    (update checks and the like) has no file:// page as its network isolation key."""
    log = json.loads(net_log.read_text(encoding="utf-8"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [e["params"]["url"] for e in log["events"]
            if e["type"] == start and "file://" in e["params"].get("network_isolation_key", "")
            and not e["params"]["url"].startswith(("file:", "data:"))]


def test_the_page_requests_nothing(report_file: Path, tmp_path: Path) -> None:
    net_log = tmp_path / "net.json"
    done = _chromium(tmp_path, f"--log-net-log={net_log}", "--dump-dom",
                     report_file.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert _page_requests(net_log) == []
    # Nothing blocked either: a request the page tried would show as a CSP violation.
    assert "Content Security Policy" not in done.stderr
    assert "net::ERR" not in done.stderr and "Failed to load" not in done.stderr

    class Refs(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.refs: list[str] = []
            self.scripts = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.scripts += tag == "script"
            self.refs += [v for a, v in attrs if a in ("src", "href", "srcset", "action",
                                                       "poster", "data") and v]

    dom = Refs()
    dom.feed(done.stdout)
    assert dom.scripts == 0
    assert all(ref.startswith("#") for ref in dom.refs), dom.refs
    assert not re.search(r"url\(\s*['\"]?(?!#)", done.stdout)  # no CSS url() but fragments
    assert "@import" not in done.stdout and "@font-face" not in done.stdout
    assert SCRIPT_TABLE.replace("<", "&lt;").replace(">", "&gt;") in done.stdout


def test_the_check_catches_a_page_that_does_request(tmp_path: Path) -> None:
    """The control: the same check on a page with an external image finds it."""
    page = tmp_path / "control.html"
    page.write_text('<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png">'
                    "</body></html>")
    net_log = tmp_path / "net.json"
    _chromium(tmp_path, f"--log-net-log={net_log}", "--dump-dom", page.as_uri())
    assert _page_requests(net_log) == ["http://127.0.0.1:9/x.png"]


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the rows of pixels of an 8-bit RGB or RGBA PNG (what Chromium
    writes), unfiltered as the PNG specification says."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), (depth, colour)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def test_the_page_is_painted(report_file: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    done = _chromium(tmp_path, "--window-size=1280,1600", f"--screenshot={shot}",
                     report_file.as_uri())
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    width, height, rows = _png_pixels(shot.read_bytes())
    assert (width, height) == (1280, 1600)
    bpp = len(rows[0]) // width
    pixels = [row[i:i + 3] for row in rows[::4] for i in range(0, len(row), bpp * 4)]
    counts = Counter(pixels)
    ((_background, most),) = counts.most_common(1)
    inked = 1 - most / len(pixels)
    # Text, badges, the verdict's red, the picture's boxes: many colours, real coverage.
    assert len(counts) > 50, len(counts)
    assert inked > 0.03, inked
    assert bytes.fromhex("cf222e") in counts  # the "fail" verdict's red
