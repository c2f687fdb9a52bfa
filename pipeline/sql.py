"""The one loader of the project's SQL files: every query lives in a ``.sql`` file beside the code
that runs it, and is read through ``sql_file``.

``sql_file(__file__)`` is the file named like the calling module (``aa_r01_outside_allowed.sql``
beside ``aa_r01_outside_allowed.py``); ``sql_file(__file__, "events")`` is ``events.sql`` in the
module's folder, ``sql_file(__file__, "sql/flatten.sql")`` one in a subfolder. Texts are read once
per process. ``bound(text, params)`` keeps the parameters a query names (``$name`` outside
comments), since DuckDB refuses a parameter its statement does not use.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from pipeline.errors import AgentAuditError

_COMMENT = re.compile(r"--[^\n]*")


def sql_file(beside: str | Path, name: str | None = None) -> str:
    """The text of ``name`` (``.sql`` added when missing) in the folder of ``beside`` (a module's
    ``__file__``); without ``name``, the ``.sql`` file with the module's own stem."""
    here = Path(beside)
    if name is None:
        path = here.with_suffix(".sql")
    else:
        path = here.parent / (name if name.endswith(".sql") else f"{name}.sql")
    return _read(str(path))


@cache
def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:  # a broken install: the package data is missing
        raise AgentAuditError(f"{path}: cannot read this SQL file of agentaudit ({exc})") from exc


def names(text: str) -> set[str]:
    """The ``$name`` parameters the query uses (comments left out)."""
    return set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", _COMMENT.sub("", text)))


def bound(text: str, params: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``params`` that the query ``text`` names."""
    used = names(text)
    return {k: v for k, v in params.items() if k in used}
