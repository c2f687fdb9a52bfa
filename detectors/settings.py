"""The rules' thresholds in agentaudit.toml, checked against the rules that read them.

``[detectors.<id>]`` holds ``enabled`` and the thresholds of rule ``<id>`` (its ``defaults``);
``[detectors.baseline]`` the history every rule is judged against (pipeline.config). A section
naming no rule, a key the rule does not know, or a value of another type than the rule's default
is a usage error (exit 2) naming the file, the line, the key and what the rule knows, instead of
a typo being silently ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from detectors.rule import Rule
from pipeline.config import BASELINE, Config, key_line
from pipeline.errors import UsageError


def check_detector_settings(
    config: Config, rules: list[type[Rule]], config_file: Path | str = "agentaudit.toml"
) -> None:
    """Raise ``UsageError`` for the first ``[detectors.*]`` setting no rule of ``rules`` reads."""
    known = {r.id: r for r in rules}
    for rule_id, settings in config.detectors.items():
        if rule_id == BASELINE:
            config.baseline_settings()  # checks its own keys
            continue
        rule = known.get(rule_id)
        if rule is None:
            raise UsageError(
                _where(config_file, (rule_id,))
                + f"[detectors.{rule_id}] names no rule; the rules are {', '.join(sorted(known))}"
                f" (and [detectors.{BASELINE}] for the history they are judged against)"
            )
        allowed = {"enabled": True, **rule.defaults}
        for key, value in settings.items():
            if key not in allowed:
                hint = (
                    f"; the look-back window is one setting for every rule: lookback_days "
                    f"under [detectors.{BASELINE}]"
                    if key == "lookback_days"
                    else ""
                )
                raise UsageError(
                    _where(config_file, (rule_id, key))
                    + f"unknown key '{key}' under [detectors.{rule_id}]; {rule_id} knows "
                    f"{', '.join(sorted(allowed))}{hint}"
                )
            expected = _kind(allowed[key])
            if expected is not None and not _fits(value, allowed[key]):
                raise UsageError(
                    _where(config_file, (rule_id, key))
                    + f"[detectors.{rule_id}] {key} must be {expected}, not {value!r} "
                    f"(default {allowed[key]!r})"
                )


def _where(config_file: Path | str, loc: tuple[str, ...]) -> str:
    """'<file>:<line>: ' of the setting (the file is read again only to name the line)."""
    try:
        text = Path(config_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return f"{config_file}: "
    line = key_line(text, ("detectors", *loc))
    return f"{config_file}:{line}: " if line else f"{config_file}: "


def _kind(default: Any) -> str | None:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int):
        return "a whole number"
    if isinstance(default, float):
        return "a number"
    if isinstance(default, str):
        return "text"
    if isinstance(default, list | tuple):
        return "a list"
    return None


def _fits(value: Any, default: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if isinstance(default, int):
        return isinstance(value, int)
    if isinstance(default, float):
        return isinstance(value, int | float)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, list | tuple):
        return isinstance(value, list)
    return True
