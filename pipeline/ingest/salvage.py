"""The complete records of a JSON document cut short (a truncated or corrupt .json.gz).

DuckDB parses a document whole or not at all. When the compressed stream ends early the text
read so far is an exact prefix of the document: ``salvage_items`` walks its record array element
by element with ``json.JSONDecoder.raw_decode`` and keeps each element that is followed by a
``,`` or the closing ``]`` (a number or the last element cut at the end is never taken for a
whole one). Only the error path runs this; a whole document never does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

_SPACE = re.compile(r"[ \t\n\r]*")
WRAPPER_KEYS = ("records", "value")


@dataclass
class Salvage:
    items_path: str  # "$[*]", "$.records[*]" or "$.value[*]"
    items: list[str] = field(default_factory=list)  # each complete record's own JSON text
    tail: str = ""  # the text from the first incomplete element on ("" when none)


def _skip(text: str, pos: int) -> int:
    match = _SPACE.match(text, pos)
    return match.end() if match else pos


def _array_start(text: str, decoder: json.JSONDecoder) -> tuple[str, int] | None:
    """(items path, offset just inside the record array), or None when there is none to read."""
    pos = _skip(text, 0)
    if text.startswith("[", pos):
        return "$[*]", pos + 1
    if not text.startswith("{", pos):
        return None
    pos += 1
    while True:
        pos = _skip(text, pos)
        try:
            key, pos = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError):
            return None
        pos = _skip(text, pos)
        if not isinstance(key, str) or not text.startswith(":", pos):
            return None
        pos = _skip(text, pos + 1)
        if key in WRAPPER_KEYS and text.startswith("[", pos):
            return f"$.{key}[*]", pos + 1
        try:
            _value, pos = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError):
            return None
        pos = _skip(text, pos)
        if not text.startswith(",", pos):
            return None
        pos += 1


def salvage_items(text: str) -> Salvage | None:
    """The complete elements of ``text``'s record array, or None when no array was begun."""
    decoder = json.JSONDecoder()
    text = text.lstrip("\ufeff")
    start = _array_start(text, decoder)
    if start is None:
        return None
    items_path, pos = start
    out = Salvage(items_path)
    pos = _skip(text, pos)
    if text.startswith("]", pos):
        return out
    while pos < len(text):
        try:
            _value, end = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError):
            break
        after = _skip(text, end)
        if not text.startswith((",", "]"), after):
            break  # the element may itself be cut (a number, or text ending right after it)
        out.items.append(text[pos:end])
        if text.startswith("]", after):
            return out
        pos = _skip(text, after + 1)
    out.tail = text[pos:]
    return out
