"""Reports written a piece at a time are the text json.dumps writes of the whole document."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from schemagate.reports.stream import Stream, iter_json, materialized

_LEAVES: list[Any] = [0, -7, 2.5, 1e300, "", "a\nb", "\u2028<&>\x1b", "é\"\\", None, True,
                      False, [], {}]


def _value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        return rng.choice(_LEAVES)
    if roll < 0.6:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {f"k{i}\n\"": _value(rng, depth + 1) for i in range(rng.randint(0, 3))}


def _streamed(rng: random.Random, value: Any) -> Any:
    """``value`` with some of its lists made streams (their items as they are)."""
    if isinstance(value, list) and rng.random() < 0.5:
        return Stream(iter(value))
    if isinstance(value, dict):
        return {k: _streamed(rng, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_streamed(rng, v) for v in value]
    return value


@pytest.mark.parametrize("indent", [None, 2])
def test_pieces_join_to_what_json_dumps_writes(indent: int | None) -> None:
    rng = random.Random(12)
    separators = None if indent is not None else (",", ":")
    for _ in range(2000):
        doc = _value(rng, 0)
        want = json.dumps(doc, indent=indent, ensure_ascii=False, separators=separators)
        assert "".join(iter_json(_streamed(rng, doc), indent=indent)) == want
        assert materialized(_streamed(rng, doc)) == doc


@pytest.mark.parametrize("indent", [None, 2])
def test_a_stream_is_read_as_it_is_written(indent: int | None) -> None:
    made: list[int] = []

    def items() -> Any:
        for i in range(5000):
            made.append(i)
            yield {"n": i, "text": "x" * 50}

    pieces = iter_json({"findings": Stream(items()), "after": 1}, indent=indent)
    head = next(pieces)
    assert head.startswith('{\n  "findings": [\n    {\n      "n": 0,' if indent
                           else '{"findings":[{"n":0,')
    assert 0 < len(made) < 500
    text = head + "".join(pieces)
    assert len(made) == 5000
    assert json.loads(text)["findings"][4999]["n"] == 4999
    assert text.endswith('\n  ],\n  "after": 1\n}' if indent else '],"after":1}')


def test_escape_is_applied_to_every_piece() -> None:
    doc = {"a": Stream(["x<", "<y"]), "b": "<"}
    text = "".join(iter_json(doc, escape=lambda s: s.replace("<", "\\u003c")))
    assert text == '{"a":["x\\u003c","\\u003cy"],"b":"\\u003c"}'
    assert json.loads(text) == {"a": ["x<", "<y"], "b": "<"}
