"""Execute ``notebooks/investigate.ipynb`` against a workspace, and check what it would publish.

``python -m tests.notebooks.execute WORKSPACE`` (``make notebook`` does it against a fresh run of
the sample tenant) executes the notebook in place, so the committed copy shows its answers. The
saved outputs must not carry a machine's paths: ``machine_paths`` finds them, and the workspace's
own path is written as its folder name.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "investigate.ipynb"
#: an absolute path of a POSIX or Windows machine, in any output text
MACHINE_PATH = re.compile(r"(?<![\w.~-])(/(tmp|home|root|work|Users|var|private|opt)/|[A-Z]:\\\\)")


def execute(workspace: Path, notebook: Path = NOTEBOOK, timeout: int = 120, agent: str = ""):
    """The notebook executed top to bottom against ``workspace`` (nbclient raises
    ``CellExecutionError`` at the first failing cell); ``agent``: its ``AGENTAUDIT_AGENT``."""
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    saved = {k: os.environ.get(k) for k in ("AGENTAUDIT_WORKSPACE", "AGENTAUDIT_AGENT")}
    os.environ["AGENTAUDIT_WORKSPACE"] = str(workspace)
    os.environ["AGENTAUDIT_AGENT"] = agent
    try:
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            record_timing=False,
            resources={"metadata": {"path": str(notebook.parent)}},
        ).execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    _scrub(nb, workspace)
    return nb


def output_texts(nb) -> list[str]:
    """Every text an output holds (streams, tracebacks, each mime type)."""
    texts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            texts.append(str(out.get("text", "")))
            texts.extend(str(v) for v in out.get("data", {}).values())
            texts.extend(out.get("traceback", []))
            texts.append(str(out.get("evalue", "")))
    return texts


def machine_paths(nb) -> list[str]:
    """The absolute paths found in the outputs, each with a little context."""
    found = []
    for text in output_texts(nb):
        for m in MACHINE_PATH.finditer(text):
            found.append(text[max(0, m.start() - 30) : m.end() + 30])
    return found


def _scrub(nb, workspace: Path) -> None:
    """The workspace's absolute path becomes its folder name in every output."""
    full = str(Path(workspace).resolve())
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = out["text"].replace(full, workspace.name)
            for mime, value in out.get("data", {}).items():
                if isinstance(value, str):
                    out["data"][mime] = value.replace(full, workspace.name)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.notebooks.execute WORKSPACE", file=sys.stderr)
        return 2
    nb = execute(Path(argv[0]).resolve())
    leaks = machine_paths(nb)
    if leaks:
        print("machine paths in the outputs, not saved:\n  " + "\n  ".join(leaks), file=sys.stderr)
        return 1
    nbformat.write(nb, NOTEBOOK)
    print(f"executed {NOTEBOOK.relative_to(REPO)} against {Path(argv[0]).name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
