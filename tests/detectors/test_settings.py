"""A rule's thresholds are checked: a typo under [detectors.<id>] is a usage error, not ignored."""

from __future__ import annotations

import subprocess
import sys

import pytest

from detectors.engine import discover_rules
from detectors.settings import check_detector_settings
from pipeline.config import parse_config
from pipeline.errors import UsageError


def _check(tmp_path, text: str) -> None:
    path = tmp_path / "agentaudit.toml"
    path.write_text(text, encoding="utf-8")
    check_detector_settings(parse_config(text, path), discover_rules(), path)


def test_known_thresholds_pass(tmp_path) -> None:
    _check(
        tmp_path,
        "[detectors.baseline]\nlookback_days = 14\n\n"
        "[detectors.AA-R02]\nenabled = true\nmax_peer_share = 0.2\nkinds = ['human']\n\n"
        "[detectors.AA-S03]\nmin_failures = 20\nbaseline_factor = 4\n",
    )


def test_unknown_key_names_the_key_its_line_and_the_rules_keys(tmp_path) -> None:
    with pytest.raises(UsageError) as err:
        _check(tmp_path, "[detectors.AA-S03]\nmin_failures = 20\nmin_failurs = 5\n")
    text = str(err.value)
    assert "agentaudit.toml:3:" in text
    assert "'min_failurs'" in text
    assert "baseline_factor, enabled, max_evidence, min_failures, min_targets" in text


def test_a_rules_own_lookback_points_at_the_one_setting(tmp_path) -> None:
    with pytest.raises(UsageError, match=r"lookback_days under \[detectors.baseline\]"):
        _check(tmp_path, "[detectors.AA-R01]\nlookback_days = 10\n")


def test_unknown_rule_id_lists_the_rules(tmp_path) -> None:
    with pytest.raises(UsageError) as err:
        _check(tmp_path, "[detectors.AA-X99]\nenabled = false\n")
    assert ":1:" in str(err.value) and "names no rule" in str(err.value)
    assert "AA-A01" in str(err.value) and "AA-S04" in str(err.value)


def test_a_value_of_the_wrong_type(tmp_path) -> None:
    with pytest.raises(UsageError, match="min_events must be a whole number, not 'ten'"):
        _check(tmp_path, "[detectors.AA-P02]\nmin_events = 'ten'\n")


def test_baseline_keys_are_checked_too(tmp_path) -> None:
    with pytest.raises(UsageError, match="'lookback' must be one of"):
        _check(tmp_path, "[detectors.baseline]\nlookback = 14\n")


@pytest.mark.parametrize("command", ["detect", "run"])
def test_cli_exits_2_on_a_typo_before_any_work(tmp_path, command) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "agentaudit.toml").write_text("[detectors.AA-R04]\ntolerence = 2.0\n", encoding="utf-8")
    args = [sys.executable, "-m", "pipeline", command, "-w", str(ws)]
    if command == "run":
        args += ["--input", str(tmp_path / "nothing-here")]  # the settings are checked first
    out = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 2, out.stderr
    assert (
        "agentaudit.toml:2: unknown key 'tolerence' under [detectors.AA-R04]; AA-R04 knows "
        "enabled, tolerance" in " ".join(out.stderr.split())
    )
