"""``agentaudit sigma check``: what each Sigma rule becomes on this lake, and why not.

One line per rule (``ok``, ``unsupported: <why>``, ``binds to no real column: <field>``), the
files that are no YAML with their line, and a summary count. Every rule is accounted for: a rule
that could never fire is named, not run empty.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.sigma.rules import LoadedRule, SigmaFileError, load_file, rule_files
from pipeline.sigma.translate import Translation, translate_all


@dataclass
class CheckReport:
    translations: list[Translation] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    files: int = 0

    @property
    def counts(self) -> Counter:
        return Counter(t.status for t in self.translations)

    @property
    def all_accounted(self) -> bool:
        """Every file read (each rule then has its verdict)."""
        return not self.file_errors

    def lines(self, show_sql: bool = False) -> list[str]:
        out = []
        for t in self.translations:
            spark = f"; spark: {t.spark}" if t.spark else ""
            out.append(f"{t.rule_id}  {t.verdict()}  ({t.title} | {t.path}{spark})")
            if show_sql and t.sql:
                out.append(f"    {t.sql}")
                out += [f"    -- ${name} = {value!r}" for name, value in t.params.items()]
        out += [f"error: {e}" for e in self.file_errors]
        return out

    def summary(self) -> str:
        c = self.counts
        ok = [t for t in self.translations if t.ok]
        spark = sum(1 for t in ok if t.spark == "transpiles")
        text = (
            f"{len(self.translations)} rule(s) in {self.files} file(s): {c['ok']} ok, "
            f"{c['unsupported']} unsupported, {c['unbound']} bind to no real column"
        )
        if self.file_errors:
            text += f", {len(self.file_errors)} file(s) unreadable"
        if ok:
            text += (
                f"; Spark: {spark} of {len(ok)} transpile (sqlglot duckdb→spark), "
                "not run: agentaudit has no Spark engine yet"
            )
        return text


def check(paths: Iterable[str | Path]) -> CheckReport:
    """Translate every rule under ``paths``; a file that is no YAML is listed, the rest go on."""
    report = CheckReport()
    loaded: list[LoadedRule] = []
    for path in rule_files(paths):
        report.files += 1
        try:
            loaded += load_file(path)
        except SigmaFileError as exc:
            report.file_errors.append(str(exc))
    report.translations = translate_all(loaded)
    return report
