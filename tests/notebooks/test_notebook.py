"""The investigation notebook: it runs on a generated tenant, shows whole tables and its chart,
says what to do on an empty workspace, and the committed copy shows its answers (no machine
paths)."""

from __future__ import annotations

import re

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from tests.notebooks.execute import NOTEBOOK, execute, machine_paths, output_texts


def _outputs(nb, kind: str) -> list[str]:
    return [
        str(out["data"][kind])
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if kind in out.get("data", {})
    ]


def _header_cells(html: str) -> list[str]:
    head = html.split("</thead>")[0]
    return re.findall(r"<th>(.*?)</th>", head, flags=re.S)


def _checks_out(nb) -> None:
    """Every code cell ran (in order); its tables are whole; its chart has the baseline band."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    tables = _outputs(nb, "text/html")
    assert len(tables) >= 8
    for html in tables:
        header = _header_cells(html)
        assert header and "&hellip;" not in header and "…" not in header, header
    (svg,) = _outputs(nb, "image/svg+xml")
    assert svg.startswith("<svg") and "against its baseline" in svg
    assert 'fill-opacity="0.3"' in svg, "the baseline band is drawn"
    text = "".join(output_texts(nb))
    assert "investigating" in text and "days above the usual range" in text


def test_notebook_runs_on_a_generated_tenant(generated_run):
    nb = execute(generated_run.root)
    _checks_out(nb)
    assert machine_paths(nb) == []


def test_the_agent_is_picked_by_part_of_its_name(generated_run):
    """AGENTAUDIT_AGENT takes what ``findings --identity`` takes (match_identities)."""
    from pipeline.identities import match_identities

    matches = match_identities(generated_run.root, "ASSISTANT agent")
    assert len(matches) > 1 and not matches[0].exact
    nb = execute(generated_run.root, agent="ASSISTANT agent")
    text = "".join(output_texts(nb))
    assert f"{len(matches)} identities match 'ASSISTANT agent'; taking the busiest" in text
    assert f"investigating {matches[0].name} {matches[0].identity_id}" in text


def test_an_empty_workspace_says_to_run_first(tmp_path):
    empty = tmp_path / "new-workspace"
    empty.mkdir()
    with pytest.raises(CellExecutionError) as failed:
        execute(empty)
    message = str(failed.value)
    assert "run `agentaudit run --workspace" in message and "` first" in message
    assert "IndexError" not in message


def test_the_committed_notebook_shows_its_answers():
    """Executed against the sample tenant (``make notebook``), with no machine's paths."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    _checks_out(nb)
    assert machine_paths(nb) == []
    assert "workspace sample_data:" in "".join(output_texts(nb))
