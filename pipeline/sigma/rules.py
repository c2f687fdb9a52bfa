"""Reading Sigma rule files: files or folders of YAML, each document a rule.

A file that is not YAML raises ``SigmaFileError`` naming the file, the line and the column of the
problem; nothing of it is half-loaded. Rules are read at run time from the user's checkout (a
SigmaHQ clone, a folder of their own): agentaudit ships none.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaError, SigmaRuleLocation

from pipeline.errors import AgentAuditError

SUFFIXES = (".yml", ".yaml")


class SigmaFileError(AgentAuditError):
    """A Sigma file that cannot be read as YAML rules: the message names file and line."""


@dataclass(frozen=True)
class LoadedRule:
    """One document of a Sigma file, parsed by pySigma (``rule.errors`` holds what is wrong)."""

    path: Path
    rule: Any  # SigmaRule | SigmaCorrelationRule | SigmaFilter


def rule_files(paths: Iterable[str | Path]) -> list[Path]:
    """The YAML files among ``paths`` (folders searched recursively), sorted, each once."""
    found: dict[Path, None] = {}
    for given in paths:
        path = Path(given).expanduser()
        if path.is_dir():
            for sub in sorted(path.rglob("*")):
                if sub.suffix.lower() in SUFFIXES and sub.is_file():
                    found[sub] = None
        elif path.is_file():
            found[path] = None
        else:
            raise SigmaFileError(f"{path}: no such Sigma rule file or folder; check the path")
    return list(found)


def _documents(path: Path) -> list[Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SigmaFileError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from exc
    except OSError as exc:
        raise SigmaFileError(f"{path}: cannot be read ({exc.strerror})") from exc
    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        raise SigmaFileError(f"{_yaml_where(path, exc)}; fix the rule file") from exc
    for number, doc in enumerate(docs, start=1):
        if doc is not None and not isinstance(doc, dict):
            raise SigmaFileError(
                f"{path}: YAML document {number} is a {type(doc).__name__}, not a Sigma rule "
                "(a mapping with title, logsource and detection)"
            )
    return docs


def _yaml_where(path: Path, exc: yaml.YAMLError) -> str:
    """``file:line:column: not valid YAML: <problem> (<context> at line N)``."""
    mark = getattr(exc, "problem_mark", None)
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context, at = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context:
        problem += f" ({context}" + (f" at line {at.line + 1})" if at is not None else ")")
    return f"{where}: not valid YAML: {problem}"


def load_file(path: Path) -> list[LoadedRule]:
    """Every rule of one file; its YAML errors raise, its Sigma errors stay on each rule."""
    docs = _documents(path)
    try:
        collection = SigmaCollection.from_dicts(
            docs, collect_errors=True, source=SigmaRuleLocation(path)
        )
    except SigmaError as exc:  # a collection-level problem pySigma does not collect
        raise SigmaFileError(f"{path}: not a Sigma rule file: {exc}") from exc
    return [LoadedRule(path, rule) for rule in collection]


def load(paths: Iterable[str | Path]) -> Iterator[LoadedRule]:
    """Every rule of every file under ``paths``, in path order."""
    for path in rule_files(paths):
        yield from load_file(path)
