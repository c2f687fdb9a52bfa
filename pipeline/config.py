"""agentaudit.toml: the workspace configuration, validated by pydantic (DESIGN.md section 6).

``load_config(workspace)`` returns a ``Config`` (defaults when the file is absent). An unknown key,
a missing value or a wrong type raises ``AgentAuditError`` naming the file, the key and its line.
``write_example(workspace)`` writes the commented example ``agentaudit init`` creates.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.errors import AgentAuditError, UsageError
from pipeline.workspace import Workspace

AgentKind = Literal[
    "agent_identity", "agent_user", "agent_blueprint", "service_principal", "managed_identity"
]
ReportMode = Literal["full", "redacted"]
#: where an agent came from (DESIGN.md section 11), decided in catalog/creation_channels.sql
CreationChannel = Literal[
    "azure-ai-foundry",
    "copilot-studio",
    "security-copilot",
    "third-party-consent",
    "admin-or-api",
    "unknown",
]

_MEMORY = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]i?B)", re.IGNORECASE)
_UNITS = {"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
_RULE_ID = re.compile(r"^(\*|[A-Za-z][A-Za-z0-9_-]*)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkspaceSettings(_Strict):
    lake: str = "lake"  # relative to the config file
    inputs: list[str] = Field(default_factory=list)  # folders `agentaudit run` ingests
    report_mode: ReportMode = "full"  # redacted: the report masks user names and addresses
    file_mode: str = "0600"  # permissions of reports, SIEM files and findings we write
    expect_new_data: bool = False  # a run that ingests no new rows exits 4 ("no new input")
    #: DuckDB's memory for one connection; past it, joins, sorts and aggregates spill to disk
    memory_limit: str = "1GB"
    #: where DuckDB spills and a judged day's events wait, relative to the workspace root
    temp_directory: str = "tmp"

    @field_validator("memory_limit")
    @classmethod
    def _memory(cls, value: str) -> str:
        """A size DuckDB understands: a number and a unit, at least 100MB."""
        match = _MEMORY.fullmatch(value.strip())
        if not match:
            raise ValueError('must be a size such as "1GB", "512MB" or "2GiB"')
        number, unit = float(match.group(1)), match.group(2).upper()
        if number * _UNITS[unit.replace("I", "")] < 100e6:
            raise ValueError(f"{value} is too little for DuckDB to work in; give at least 100MB")
        return value.strip()

    @field_validator("temp_directory")
    @classmethod
    def _temp(cls, value: str) -> str:
        if not value.strip():
            raise ValueError('must name a folder, e.g. temp_directory = "tmp"')
        return value

    @field_validator("file_mode", mode="before")
    @classmethod
    def _octal(cls, value: object) -> object:
        """An octal permission the owner can read and write and no other account can write."""
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError('write the mode as a quoted octal string, e.g. file_mode = "0640"')
        if not isinstance(value, str):
            return value  # the str type check says what is wrong
        if not re.fullmatch(r"0?[0-7]{3}", value):
            raise ValueError('must be an octal permission such as "0600" or "0640"')
        mode = int(value, 8)
        if mode & 0o600 != 0o600:
            raise ValueError(
                f"{value} does not let the owner read and write the files agentaudit rewrites; "
                'use 06xx, e.g. "0600" or "0640"'
            )
        if mode & 0o002:
            raise ValueError(
                f"{value} lets every account on the machine rewrite reports and SIEM files; "
                'leave others at most read, e.g. "0640" or "0644"'
            )
        return value

    @property
    def file_mode_int(self) -> int:
        return int(self.file_mode, 8)


class AgentSpec(_Strict):
    """One registered agent: what it is meant to do."""

    id: str = Field(min_length=1)  # object id (agent identity / agent user / service principal)
    app_id: str | None = None
    name: str | None = None
    kind: AgentKind = "agent_identity"
    blueprint: str | None = None  # blueprint app id: the peer group
    sponsor: str | None = None
    owner: str | None = None
    purpose: str | None = None
    allowed_resources: list[str] = Field(default_factory=list)
    access_packages: list[str] = Field(default_factory=list)  # Entitlement Management; globs
    pii_clearance: list[str] = Field(default_factory=list)
    on_behalf_of: bool = False
    active_hours: str | None = None  # "HH:MM-HH:MM" UTC; may wrap midnight
    daily_request_limit: int | None = Field(default=None, gt=0)
    countries: list[str] = Field(default_factory=list)
    enabled: bool = True
    creation_channel: CreationChannel | None = None  # declared: wins over what the logs say

    @field_validator("active_hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        if value is not None and not _HOURS.match(value):
            raise ValueError('must look like "06:00-20:00" (UTC, 24-hour clock)')
        return value

    @field_validator("countries")
    @classmethod
    def _countries(cls, value: list[str]) -> list[str]:
        bad = [c for c in value if not re.fullmatch(r"[A-Za-z]{2}", c)]
        if bad:
            raise ValueError(f"country codes are two letters (ISO 3166-1), not {bad[0]!r}")
        return [c.upper() for c in value]

    @property
    def active_minutes(self) -> tuple[int, int] | None:
        """(start, end) minutes after midnight UTC, end exclusive; None when not declared."""
        if self.active_hours is None:
            return None
        m = _HOURS.match(self.active_hours)
        assert m is not None
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        return h1 * 60 + m1, h2 * 60 + m2


class ResourceRule(_Strict):
    """One entry of the sensitivity catalogue: a resource (id, name or graph: glob) and its tag."""

    match: str = Field(min_length=1)
    sensitivity: str | None = Field(min_length=1)  # pii | hr | financial | …; null = not sensitive
    description: str | None = None


class SuppressionSpec(_Strict):
    rule: str = "*"
    identity: str | None = None  # identity id; null = every identity
    reason: str = Field(min_length=1)
    owner: str | None = None
    expires: date | None = None

    @field_validator("rule")
    @classmethod
    def _rule(cls, value: str) -> str:
        if not _RULE_ID.match(value):
            raise ValueError('must be a rule id such as "AA-S04", or "*"')
        return value

    def active(self, on: date) -> bool:
        return self.expires is None or on <= self.expires


class SentinelSettings(_Strict):
    """[siem.sentinel]: the Logs Ingestion API destination `agentaudit run` pushes to."""

    endpoint: str  # the DCR's logs ingestion endpoint (or a data collection endpoint)
    dcr_id: str = Field(min_length=1)  # the DCR's immutable id, dcr-…
    stream: str = "Custom-AgentAuditFinding_CL"
    timeout_seconds: float = Field(default=30.0, gt=0)
    redact: bool = False

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if not re.match(r"^https?://", value):
            raise ValueError("must start with https://")
        return value


class SiemSettings(_Strict):
    url: str | None = None  # HTTP collector (Splunk HEC or any NDJSON endpoint)
    hec_token_env: str | None = None  # NAME of the environment variable holding the token
    batch_size: int = Field(default=500, gt=0, le=100_000)
    timeout_seconds: float = Field(default=10.0, gt=0)
    verify_tls: bool = True
    sentinel: SentinelSettings | None = None  # [siem.sentinel]

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://", value):
            raise ValueError("must start with http:// or https://")
        return value


class SigmaSettings(_Strict):
    """[sigma]: Sigma rule files or folders (relative to this file) run as detectors nightly."""

    rules: list[str] = Field(default_factory=list)


def _rule_id(value: str) -> str:
    if not _RULE_ID.match(value) or value == "*":
        raise ValueError(f"{value!r} is not a rule id such as AA-S04")
    return value


def _detector_settings(value: dict[str, Any]) -> dict[str, Any]:
    if "enabled" in value and not isinstance(value["enabled"], bool):
        raise ValueError(f"enabled must be true or false, not {value['enabled']!r}")
    return value


RuleId = Annotated[str, AfterValidator(_rule_id)]
#: [detectors.baseline]: the history every rule is judged against (not a rule)
BASELINE = "baseline"
#: its settings: an identity is still learning its baseline below min_days active days or
#: min_events events; night_start / night_end (UTC hours) bound the night the rollups count;
#: lookback_days: the window of days before the judged day that every rule's history covers
BASELINE_DEFAULTS = {
    "min_days": 7,
    "min_events": 20,
    "night_start": 22,
    "night_end": 6,
    "lookback_days": 30,
}
#: the baseline settings the rollups are computed with (a change rebuilds them)
ROLLUP_SETTINGS = ("min_days", "min_events", "night_start", "night_end")
#: [detectors.<id>]: ``enabled`` plus the rule's thresholds (checked against the rule's defaults
#: by detectors.settings, which knows the rules)
DetectorSettings = Annotated[dict[str, Any], AfterValidator(_detector_settings)]


class Config(_Strict):
    workspace: WorkspaceSettings = Field(default_factory=WorkspaceSettings)
    agents: list[AgentSpec] = Field(default_factory=list)
    resources: list[ResourceRule] = Field(default_factory=list)
    detectors: dict[RuleId, DetectorSettings] = Field(default_factory=dict)
    suppressions: list[SuppressionSpec] = Field(default_factory=list)
    siem: SiemSettings = Field(default_factory=SiemSettings)
    sigma: SigmaSettings = Field(default_factory=SigmaSettings)

    @field_validator("agents")
    @classmethod
    def _unique_agents(cls, value: list[AgentSpec]) -> list[AgentSpec]:
        seen: set[str] = set()
        for agent in value:
            if agent.id.lower() in seen:
                raise ValueError(f"agent id {agent.id!r} is declared twice")
            seen.add(agent.id.lower())
        return value

    def detector_enabled(self, rule_id: str) -> bool:
        return bool(self.detectors.get(rule_id, {}).get("enabled", True))

    def detector_params(self, rule_id: str) -> dict[str, Any]:
        """The rule's thresholds from [detectors.<id>] (without ``enabled``)."""
        return {k: v for k, v in self.detectors.get(rule_id, {}).items() if k != "enabled"}

    def baseline_settings(self) -> dict[str, int]:
        """BASELINE_DEFAULTS overridden by [detectors.baseline]; a key that is not one of them, or
        a value that is not a whole number, is a usage error."""
        out = dict(BASELINE_DEFAULTS)
        for key, value in self.detector_params(BASELINE).items():
            if (
                key not in BASELINE_DEFAULTS
                or not isinstance(value, int)
                or isinstance(value, bool)
            ):
                raise UsageError(
                    f"agentaudit.toml [detectors.{BASELINE}]: '{key}' must be one of "
                    f"{', '.join(BASELINE_DEFAULTS)} with a whole number"
                )
            out[key] = value
        return out

    def agent(self, identity_id: str) -> AgentSpec | None:
        """The registered agent with this object id or app id (case-insensitive)."""
        key = identity_id.lower()
        for agent in self.agents:
            if agent.id.lower() == key or (agent.app_id or "").lower() == key:
                return agent
        return None

    def temp_dir(self, workspace: Workspace) -> Path:
        """Where DuckDB spills and the judged day's events are kept ([workspace] temp_directory)."""
        return (workspace.root / self.workspace.temp_directory).expanduser().resolve()

    def duckdb_config(self, workspace: Workspace) -> dict[str, str]:
        """The settings every DuckDB connection of the workspace opens with."""
        return {
            "memory_limit": self.workspace.memory_limit,
            "temp_directory": str(self.temp_dir(workspace)),
        }

    def lake_dir(self, workspace: Workspace) -> Path:
        return (workspace.root / self.workspace.lake).resolve()

    def input_dirs(self, workspace: Workspace) -> list[Path]:
        return [(workspace.root / p).expanduser().resolve() for p in self.workspace.inputs]

    def sigma_paths(self, workspace: Workspace) -> list[Path]:
        return [(workspace.root / p).expanduser().resolve() for p in self.sigma.rules]


def load_config(workspace: Workspace | str | Path) -> Config:
    """Read and validate the workspace's agentaudit.toml; defaults when there is none."""
    ws = workspace if isinstance(workspace, Workspace) else Workspace.at(workspace)
    path = ws.config_file
    if not path.is_file():
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise AgentAuditError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from exc
    return parse_config(text, path)


def parse_config(text: str, path: Path | str = "agentaudit.toml") -> Config:
    """Validate TOML text; errors name ``path``, the key and its line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AgentAuditError(f"{path}: not valid TOML: {exc}. Fix the syntax there.") from exc
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise AgentAuditError(_describe(exc, text, path)) from exc


def _describe(exc: ValidationError, text: str, path: Path | str) -> str:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        line = key_line(text, loc)
        key = _dotted(loc)
        where = f"{path}:{line}" if line else str(path)
        if err["type"] == "extra_forbidden":
            msg = f"unknown key '{key}'; remove it or check its spelling"
        elif err["type"] == "missing":
            msg = f"'{key}' is required; add it"
        else:
            text_msg = str(err["msg"]).removeprefix("Value error, ")
            msg = f"'{key}': {text_msg} (got {_short(err.get('input'))})"
        problems.append(f"{where}: {msg}")
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return "; ".join(problems[:3]) + more


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_\-.]+)\s*=""")


def _split_key(raw: str) -> tuple[str, ...]:
    parts = re.findall(r'"([^"]*)"|\'([^\']*)\'|([^.\s]+)', raw)
    return tuple(a or b or c for a, b, c in parts)


def key_line(text: str, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the TOML key at pydantic location ``loc`` (tomllib has no lines).

    Walks table headers (``[a.b]``, ``[[agents]]`` with their array index) and ``key =`` lines;
    returns the closest line found: the key itself, else its table header.
    """
    array_counts: dict[tuple[str, ...], int] = {}
    table: tuple[Any, ...] = ()
    best: tuple[int, int] | None = None  # (matched length, line)
    target = tuple(loc)
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            name = _split_key(header.group(2))
            if header.group(1) == "[[":
                idx = array_counts.get(name, -1) + 1
                array_counts[name] = idx
                table = (*name, idx)
            else:
                table = name
            cand = table
        else:
            key = _KEY.match(line)
            if not key:
                continue
            cand = (*table, *_split_key(key.group(1)))
        n = _prefix(cand, target)
        if n == len(cand) and (best is None or n > best[0]):
            best = (n, number)
    return best[1] if best else None


def _prefix(cand: tuple[Any, ...], target: tuple[Any, ...]) -> int:
    n = 0
    for a, b in zip(cand, target, strict=False):
        if a != b:
            break
        n += 1
    return n


EXAMPLE = """\
# agentaudit.toml: the workspace configuration (DESIGN.md section 6).
# Paths are relative to this file. Remove the leading '#' to enable an entry.

[workspace]
lake = "lake"                       # where the Parquet lake lives
inputs = []                         # folders `agentaudit run` ingests, e.g. ["exports/entra"]
report_mode = "full"                # full | redacted (mask user names and addresses in the report)
file_mode = "0600"                  # permissions of reports, findings and SIEM files
expect_new_data = false             # true: `run` exits 4 when no new rows arrived (a dead feed)
# memory_limit = "1GB"              # DuckDB's memory; past it, work spills to temp_directory
# temp_directory = "tmp"            # spill files and the judged day's events (workspace-relative)

# The agent registry: what each agent is meant to do. `agentaudit registry import FILE` merges a
# Microsoft Graph export of agent identities and their sponsors into this list.
# [[agents]]
# id = "5b1c0000-0000-0000-0000-000000000001"   # object id of the agent identity / agent user / SP
# app_id = "9e2f0000-0000-0000-0000-000000000001"
# name = "Finance reporting agent"
# kind = "agent_identity"           # agent_identity | agent_user | agent_blueprint
#                                   # | service_principal | managed_identity
# blueprint = "c0de0000-0000-0000-0000-000000000001"   # blueprint app id (peer group)
# sponsor = "cfo-office@contoso.com"                  # the accountable human
# owner = "platform-team@contoso.com"
# purpose = "Monthly financial summaries"
# allowed_resources = ["Microsoft Graph", "graph:/sites/*/drive/**", "Dynamics 365 Finance"]
# access_packages = ["Finance reporting", "Agents - *"]   # Entitlement Management packages it
#                                   # may hold (name or id; * any text): AA-G06 flags the others
# pii_clearance = ["financial"]      # sensitivity tags it may touch
# on_behalf_of = false              # may it act with a person's delegated token?
# active_hours = "06:00-20:00"      # UTC
# daily_request_limit = 5000
# countries = ["US", "IE"]
# creation_channel = "copilot-studio"  # azure-ai-foundry | copilot-studio | security-copilot
#                                   # | third-party-consent | admin-or-api (else from the logs)

# The sensitivity catalogue: a built-in one ships with agentaudit; entries here extend or
# override it. `match` is a graph: path glob (* one segment, ** any), a resource id or a name.
# [[resources]]
# match = "graph:/users/*/messages/**"
# sensitivity = "mail"              # pii | hr | financial | mail | files | directory | secrets
#                                   # | audit | credentials

# Per detector: enabled and thresholds (the rule's own keys: another one is an error).
# [detectors.AA-S04]
# enabled = true

# The history every rule is judged against.
# [detectors.baseline]
# lookback_days = 30                # the days before the judged day that make the baseline
# min_days = 7                      # an identity is still learning below 7 active days
# min_events = 20                   # ... or 20 events

# [[suppressions]]
# rule = "AA-S04"                   # or "*"
# identity = "5b1c0000-0000-0000-0000-000000000001"
# reason = "quarter-end batch runs at night"
# owner = "soc@contoso.com"
# expires = 2027-01-31

# Sigma rules run as detectors (rule id SIGMA-<first 8 of the Sigma id>), read at run time from
# your checkout; `agentaudit sigma check PATH` says which of them run on this lake.
[sigma]
rules = []                          # e.g. ["../sigma/rules/cloud/azure/audit_logs"]

[siem]
# url = "https://siem.example.invalid:8088/services/collector/raw"
# hec_token_env = "AGENTAUDIT_HEC_TOKEN"   # the NAME of the variable holding the token
batch_size = 500

# Microsoft Sentinel (deploy/sentinel/azuredeploy.json creates the table and the DCR)
# [siem.sentinel]
# endpoint = "https://agentaudit-dcr-a1b2.eastus-1.ingest.monitor.azure.com"
# dcr_id = "dcr-00000000000000000000000000000000"
# stream = "Custom-AgentAuditFinding_CL"
"""


def write_example(workspace: Workspace, force: bool = False) -> Path:
    """Create the workspace folder and a commented agentaudit.toml (kept if it exists)."""
    workspace.root.mkdir(parents=True, exist_ok=True)
    path = workspace.config_file
    if path.exists() and not force:
        raise AgentAuditError(
            f"{path} already exists; edit it, or pass --force to overwrite it with the example"
        )
    path.write_text(EXAMPLE, encoding="utf-8")
    return path
