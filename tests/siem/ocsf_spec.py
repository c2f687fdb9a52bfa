"""Our own small copy of the part of OCSF 1.8.0 that agentaudit's findings use.

``ocsf-1.8.0-detection-finding.json`` (beside this file) is taken from the compiled OCSF 1.8.0
schema (repository ``ocsf/ocsf-schema`` at tag 1.8.0, Apache License 2.0, compiled with
``ocsf-lib``): class 2004 Detection Finding and every object our events hold, each with its
required attributes and the attributes we emit (type, array or not, requirement, profile, enum
ids with their captions, sibling), the scalar types they use, the profile names. Descriptions are
left out. It has the compiled schema's shape, so ``OcsfValidator`` checks events against it the
same way: the structural checks (required attributes, types, enum values) run on any clone,
while the full validation needs the compiled schema (``AGENTAUDIT_OCSF_SCHEMA``).

When the mapping starts emitting an attribute the copy does not hold, the structural test names
it; regenerate the copy from the compiled schema and review the diff:

    python tests/siem/ocsf_spec.py path/to/ocsf-schema-1.8.0.json
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

SPEC = Path(__file__).with_name("ocsf-1.8.0-detection-finding.json")
CLASS = "detection_finding"
ATTRIBUTE_KEYS = ("type", "is_array", "requirement", "profile", "sibling")
TYPE_KEYS = ("type", "regex", "max_len", "range", "values")
REGENERATE = "python tests/siem/ocsf_spec.py <compiled schema>"


def _attribute(spec: dict[str, Any]) -> dict[str, Any]:
    out = {k: spec[k] for k in ATTRIBUTE_KEYS if spec.get(k) is not None}
    if spec.get("enum"):
        out["enum"] = {i: {"caption": e["caption"]} for i, e in spec["enum"].items()}
    return out


def extract(schema: dict[str, Any], events: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The subset of ``schema`` that ``events`` (OCSF Detection Findings) touch."""
    cls = schema["classes"][CLASS]
    emitted: dict[str, set[str]] = {}

    def walk(value: dict[str, Any], name: str, attributes: dict[str, Any]) -> None:
        emitted.setdefault(name, set())
        for key, item in value.items():
            emitted[name].add(key)
            kind = attributes.get(key, {}).get("type")
            if kind in schema["objects"]:
                for element in item if isinstance(item, list) else [item]:
                    if isinstance(element, dict):
                        walk(element, kind, schema["objects"][kind]["attributes"])

    for event in events:
        walk(event, CLASS, cls["attributes"])

    def attributes(name: str, source: dict[str, Any]) -> dict[str, Any]:
        return {
            key: _attribute(spec)
            for key, spec in sorted(source.items())
            if key in emitted[name] or spec.get("requirement") == "required"
        }

    objects = {
        name: {
            "attributes": attributes(name, schema["objects"][name]["attributes"]),
            "constraints": schema["objects"][name].get("constraints") or {},
        }
        for name in sorted(emitted)
        if name != CLASS
    }
    used_types: set[str] = set()
    every = [attributes(CLASS, cls["attributes"])] + [o["attributes"] for o in objects.values()]
    for attrs in every:
        for spec in attrs.values():
            name = spec["type"]
            while name in schema["types"]:
                used_types.add(name)
                name = schema["types"][name].get("type")
    return {
        "source": (
            f"OCSF {schema['version']} compiled schema (ocsf/ocsf-schema, Apache-2.0): the part "
            f"agentaudit's findings use; made by {REGENERATE}"
        ),
        "version": schema["version"],
        "subset_note": f"not in our copy of the schema ({SPEC.name}); if the schema has it: "
        + REGENERATE,
        "classes": {
            CLASS: {
                "uid": cls["uid"],
                "name": cls["name"],
                "profiles": cls.get("profiles") or [],
                "constraints": cls.get("constraints") or {},
                "attributes": attributes(CLASS, cls["attributes"]),
            }
        },
        "objects": objects,
        "types": {
            name: {k: schema["types"][name][k] for k in TYPE_KEYS if schema["types"][name].get(k)}
            for name in sorted(used_types)
        },
        "profiles": {name: {} for name in sorted(schema["profiles"])},
    }


def catalogue_events() -> list[dict[str, Any]]:
    """The OCSF events of the hand-made finding catalogue (every family, severity and shape)."""
    from siem_findings import catalogue

    from pipeline.siem import to_ocsf

    return [to_ocsf(f) for f in catalogue()]


def dumps(value: Any, indent: int = 0) -> str:
    """JSON with sorted keys, each value on one line when it fits in 100 columns (reviewable)."""
    flat = json.dumps(value, sort_keys=True, ensure_ascii=False)
    if len(flat) + indent <= 96 or not isinstance(value, dict | list) or not value:
        return flat if indent else flat + "\n"
    pad, end = " " * (indent + 1), "\n" + " " * indent
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k)}: {dumps(v, indent + 1)}" for k, v in sorted(value.items())]
        text = "{\n" + ",\n".join(items) + end + "}"
    else:
        text = "[\n" + ",\n".join(pad + dumps(v, indent + 1) for v in value) + end + "]"
    return text if indent else text + "\n"


@cache
def load_spec() -> dict[str, Any]:
    return json.loads(SPEC.read_text(encoding="utf-8"))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    sys.path[:0] = [str(Path(__file__).resolve().parents[2]), str(Path(__file__).parent)]
    schema = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    SPEC.write_text(dumps(extract(schema, catalogue_events())), encoding="utf-8")
    print(f"wrote {SPEC.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
