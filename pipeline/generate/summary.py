"""What ``generate_tenant`` made, for the CLI to print and callers to inspect."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class GenerateSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    out_dir: str
    tenant_id: str
    format: str
    seed: int
    days: int
    start: str
    end: str
    events: dict[str, int]  # per table: signins, audits, activity (Graph + Microsoft 365)
    files: int
    incidents: int
    benign: int
    corrupt_lines: int
    skipped: list[str]  # incidents the period is too short for
    input_dir: str
    labels_path: str
    config_path: str
    seconds: float

    @property
    def total_events(self) -> int:
        return sum(self.events.values())

    def line(self) -> str:
        ev = ", ".join(f"{k} {v:,}" for k, v in self.events.items())
        skipped = f"; skipped: {'; '.join(self.skipped)}" if self.skipped else ""
        return (
            f"generated {self.total_events:,} events ({ev}) over {self.days} days "
            f"({self.start} to {self.end}) in {self.files} {self.format} files, "
            f"{self.incidents} labelled incidents and {self.benign} benign look-alikes, "
            f"{self.corrupt_lines} corrupt lines, in {self.seconds:.1f}s -> {self.out_dir}{skipped}"
        )
