"""Where a workspace keeps its things (DESIGN.md section 8)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

CONFIG_NAME = "agentaudit.toml"


@dataclass(frozen=True)
class Workspace:
    root: Path
    lake_setting: str = "lake"  # [workspace] lake in agentaudit.toml, relative to the root

    @classmethod
    def at(cls, root: str | Path) -> Workspace:
        root = Path(root).expanduser().resolve()
        return cls(root, _lake_setting(root / CONFIG_NAME))

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def lake(self) -> Path:
        return self.root / self.lake_setting

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

    @property
    def exists(self) -> bool:
        """True when the folder is a workspace: it holds agentaudit.toml or a lake."""
        return self.config_file.is_file() or self.lake.is_dir()

    def table_dir(self, table: str) -> Path:
        return self.lake / table


def _lake_setting(config_file: Path) -> str:
    """The lake folder named in agentaudit.toml; a broken file is reported by load_config."""
    try:
        with open(config_file, "rb") as fh:
            value = tomllib.load(fh).get("workspace", {}).get("lake", "lake")
    except (OSError, tomllib.TOMLDecodeError, AttributeError):
        return "lake"
    return value if isinstance(value, str) and value.strip() else "lake"
