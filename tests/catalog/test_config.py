"""agentaudit.toml: defaults, the example, and errors that name the file, key and line."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.config import EXAMPLE, Config, key_line, load_config, parse_config, write_example
from pipeline.errors import AgentAuditError

FULL = """\
[workspace]
lake = "data/lake"
inputs = ["exports"]
file_mode = "0640"

[[agents]]
id = "sp-1"
app_id = "app-1"
name = "Finance agent"
kind = "service_principal"
allowed_resources = ["Microsoft Graph", "graph:/sites/*/drive/**"]
pii_clearance = ["financial"]
active_hours = "22:00-06:00"
daily_request_limit = 5000
countries = ["us", "IE"]

[[resources]]
match = "graph:/users/*/messages/**"
sensitivity = "mail"

[detectors.AA-S04]
enabled = false
slack_minutes = 30

[[suppressions]]
rule = "AA-S04"
identity = "sp-1"
reason = "quarter-end batch"
expires = 2027-01-31

[siem]
url = "https://siem.example.invalid/collector"
hec_token_env = "HEC_TOKEN"
batch_size = 100
"""


def test_defaults_when_file_absent(workspace):
    cfg = load_config(workspace)
    assert cfg == Config()
    assert cfg.workspace.lake == "lake"
    assert cfg.workspace.file_mode_int == 0o600
    assert cfg.agents == [] and cfg.detector_enabled("AA-R01")


def test_full_file_parses():
    cfg = parse_config(FULL)
    agent = cfg.agents[0]
    assert agent.kind == "service_principal"
    assert agent.countries == ["US", "IE"]
    assert agent.active_minutes == (22 * 60, 6 * 60)
    assert cfg.agent("APP-1") is agent and cfg.agent("nobody") is None
    assert not cfg.detector_enabled("AA-S04")
    assert cfg.detector_params("AA-S04") == {"slack_minutes": 30}
    sup = cfg.suppressions[0]
    assert sup.expires == date(2027, 1, 31)
    assert sup.active(date(2027, 1, 31)) and not sup.active(date(2027, 2, 1))
    assert cfg.siem.batch_size == 100 and cfg.workspace.file_mode_int == 0o640


def test_example_is_valid_and_init_refuses_to_overwrite(workspace):
    assert parse_config(EXAMPLE).workspace.lake == "lake"
    path = write_example(workspace)
    assert load_config(workspace).siem.batch_size == 500
    with pytest.raises(AgentAuditError, match="already exists"):
        write_example(workspace)
    assert write_example(workspace, force=True) == path


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            "[workspace]\nlake = 'x'\ncolour = 1\n",
            "agentaudit.toml:3: unknown key 'workspace.colour'",
        ),
        ("[[agents]]\nid = 'a'\n\n[[agents]]\nid = 'b'\nkind = 'robot'\n", ":6: 'agents[1].kind'"),
        ("[[agents]]\nname = 'no id'\n", ":1: 'agents[0].id' is required"),
        ("[[agents]]\nid = 'a'\nactive_hours = '9-5'\n", ":3: 'agents[0].active_hours'"),
        ("[[agents]]\nid = 'a'\ndaily_request_limit = 'many'\n", ":3:"),
        ("[detectors.AA-S04]\nenabled = 'yes'\n", ":1: 'detectors.AA-S04': enabled must be"),
        ("[[suppressions]]\nrule = 'AA-S04'\nreason = 'x'\nexpires = 'soon'\n", ":4:"),
        ("[siem]\nurl = 'ftp://x'\n", ":2: 'siem.url'"),
        ("[workspace\nlake = 1\n", "not valid TOML"),
        ("[[agents]]\nid = 'a'\n[[agents]]\nid = 'A'\n", "declared twice"),
        ('[workspace]\nfile_mode = "644x"\n', ":2: 'workspace.file_mode': must be an octal"),
        ("[workspace]\nfile_mode = 640\n", 'quoted octal string, e.g. file_mode = "0640"'),
        ("[workspace]\nfile_mode = 0o640\n", 'quoted octal string, e.g. file_mode = "0640"'),
        ('[workspace]\nfile_mode = "0666"\n', "lets every account on the machine rewrite"),
        ('[workspace]\nfile_mode = "0440"\n', "does not let the owner read and write"),
    ],
)
def test_errors_name_file_key_and_line(text, needle):
    with pytest.raises(AgentAuditError) as info:
        parse_config(text, "ws/agentaudit.toml")
    assert "ws/agentaudit.toml" in str(info.value)
    assert needle in str(info.value)


def test_key_line_handles_quoted_and_dotted_keys():
    text = '[workspace]\n"lake" = "x"\n[detectors."AA-R01"]\nmin_days = 3\n'
    assert key_line(text, ("workspace", "lake")) == 2
    assert key_line(text, ("detectors", "AA-R01", "min_days")) == 4
    assert key_line(text, ("siem",)) is None


@pytest.mark.parametrize("value", ["1GB", "512MB", "2GiB", " 1.5 gb "])
def test_memory_limit_is_a_size_duckdb_opens_with(workspace, value):
    cfg = parse_config(f'[workspace]\nmemory_limit = "{value}"\ntemp_directory = "spill"\n')
    settings = cfg.duckdb_config(workspace)
    assert settings == {
        "memory_limit": value.strip(),
        "temp_directory": str((workspace.root / "spill").resolve()),
    }
    import duckdb

    with duckdb.connect(":memory:", config=settings) as con:
        (limit,) = con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert limit.endswith(("MiB", "GiB"))


@pytest.mark.parametrize(
    ("value", "says"),
    [("lots", "a size such as"), ("1024", "a size such as"), ("10MB", "at least 100MB")],
)
def test_memory_limit_that_is_no_size_names_the_key(value, says):
    text = f'[workspace]\nlake = "lake"\nmemory_limit = "{value}"\n'
    with pytest.raises(AgentAuditError) as err:
        parse_config(text)
    assert "memory_limit" in str(err.value) and says in str(err.value)
    assert "agentaudit.toml:3:" in str(err.value)
