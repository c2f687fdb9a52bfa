"""Where a workspace keeps its things (DESIGN.md section 8)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CONFIG_NAME = "agentaudit.toml"


@dataclass(frozen=True)
class Workspace:
    root: Path

    @classmethod
    def at(cls, root: str | Path) -> Workspace:
        return cls(Path(root).expanduser().resolve())

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    @property
    def quarantine(self) -> Path:
        return self.lake / "_quarantine"

    @property
    def catalog(self) -> Path:
        return self.root / "catalog.duckdb"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def siem(self) -> Path:
        return self.root / "siem"

    def table_dir(self, table: str) -> Path:
        return self.lake / table
