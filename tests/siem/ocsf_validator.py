"""A validator of OCSF events against the compiled schema (``AGENTAUDIT_OCSF_SCHEMA``), or against
our small copy of its Detection Finding part (``ocsf_spec.py``), which has the same shape.

Checks, recursively through objects: required attributes (a profile's only when the event
declares that profile in ``metadata.profiles``), attributes the class or object does not define,
attributes of profiles the event does not declare, scalar types (with the type's regex, max length
and range), arrays, enum ids, enum siblings (``severity`` matches the caption of ``severity_id``
unless the id is 99 "Other") and the ``at_least_one`` / ``just_one`` constraints.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)


@cache
def load_schema(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


class OcsfValidator:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.classes_by_uid = {c["uid"]: c for c in schema["classes"].values()}
        self.types = schema["types"]
        self.objects = schema["objects"]
        #: our copy holds only what our events use: what it lacks says how to add it
        note = schema.get("subset_note")
        self.missing = f" ({note})" if note else ""

    # -- entry point -------------------------------------------------------------------------
    def errors(self, event: Any) -> list[str]:
        """Every problem of one event, each naming the attribute path; [] when valid."""
        if not isinstance(event, dict):
            return ["event: not a JSON object"]
        cls = self.classes_by_uid.get(event.get("class_uid"))
        if cls is None:
            return [f"class_uid: unknown class {event.get('class_uid')!r}"]
        profiles = (
            event.get("metadata", {}).get("profiles", [])
            if isinstance(event.get("metadata"), dict)
            else []
        )
        out: list[str] = []
        if not isinstance(profiles, list) or not all(isinstance(p, str) for p in profiles):
            out.append("metadata.profiles: must be an array of strings")
            profiles = []
        for p in profiles:
            if p not in self.schema["profiles"]:
                out.append(f"metadata.profiles: unknown profile {p!r}")
            elif p not in (cls.get("profiles") or []):
                out.append(f"metadata.profiles: class {cls['name']} does not support {p!r}")
        self._object(event, cls["attributes"], cls.get("constraints"), "", set(profiles), out)
        type_uid = event.get("type_uid")
        activity = event.get("activity_id")
        if isinstance(type_uid, int) and isinstance(activity, int):
            if type_uid != cls["uid"] * 100 + activity:
                out.append("type_uid: must be class_uid * 100 + activity_id")
        return out

    # -- objects -----------------------------------------------------------------------------
    def _object(
        self,
        value: dict[str, Any],
        attributes: dict[str, Any],
        constraints: dict[str, Any] | None,
        path: str,
        profiles: set[str],
        out: list[str],
    ) -> None:
        for name, spec in attributes.items():
            active = spec.get("profile") is None or spec.get("profile") in profiles
            if spec.get("requirement") == "required" and active and name not in value:
                out.append(f"{path}{name}: required attribute missing")
        for name, item in value.items():
            spec = attributes.get(name)
            where = f"{path}{name}"
            if spec is None:
                out.append(f"{where}: not an attribute of this class or object{self.missing}")
                continue
            if spec.get("profile") and spec["profile"] not in profiles:
                out.append(
                    f"{where}: belongs to profile {spec['profile']!r}, "
                    "which metadata.profiles does not declare"
                )
            self._attribute(item, spec, where, profiles, out)
            sibling = spec.get("sibling")
            if spec.get("enum") and sibling and sibling in value and isinstance(item, int):
                caption = spec["enum"].get(str(item), {}).get("caption")
                if item != 99 and caption is not None and value[sibling] != caption:
                    out.append(
                        f"{path}{sibling}: {value[sibling]!r} does not match {name}={item} "
                        f"({caption!r})"
                    )
            if spec.get("enum") and sibling and item == 99 and sibling not in value:
                out.append(f"{path}{sibling}: required when {name} is 99 (Other)")
        for kind, names in (constraints or {}).items():
            present = [n for n in names if n in value]
            if kind == "at_least_one" and not present:
                out.append(f"{path or 'event'}: needs at least one of {names}")
            if kind == "just_one" and len(present) != 1:
                out.append(f"{path or 'event'}: needs exactly one of {names}, has {present}")

    def _attribute(
        self, item: Any, spec: dict[str, Any], where: str, profiles: set[str], out: list[str]
    ) -> None:
        if spec.get("is_array"):
            if not isinstance(item, list):
                out.append(f"{where}: must be an array")
                return
            for i, element in enumerate(item):
                self._value(element, spec, f"{where}[{i}]", profiles, out)
        else:
            if isinstance(item, list):
                out.append(f"{where}: must not be an array")
                return
            self._value(item, spec, where, profiles, out)

    def _value(
        self, item: Any, spec: dict[str, Any], where: str, profiles: set[str], out: list[str]
    ) -> None:
        type_name = spec["type"]
        if item is None:
            out.append(f"{where}: null is not a value of {type_name}")
            return
        if type_name == "object":
            if not isinstance(item, dict):
                out.append(f"{where}: must be a JSON object")
            return
        if type_name in self.objects:
            if not isinstance(item, dict):
                out.append(f"{where}: must be a {type_name} object")
                return
            obj = self.objects[type_name]
            self._object(
                item, obj["attributes"], obj.get("constraints"), f"{where}.", profiles, out
            )
            return
        if type_name not in self.types:
            out.append(f"{where}: unknown type {type_name!r} in the schema{self.missing}")
            return
        self._scalar(item, type_name, where, out)
        enum = spec.get("enum")
        if enum and str(item) not in enum:
            out.append(f"{where}: {item!r} is not one of the enum ids {sorted(enum)}")

    def _scalar(self, item: Any, type_name: str, where: str, out: list[str]) -> None:
        chain = []
        name: str | None = type_name
        while name:
            chain.append(name)
            name = self.types[name].get("type")
        base = chain[-1]
        ok = {
            "string_t": isinstance(item, str),
            "integer_t": isinstance(item, int) and not isinstance(item, bool),
            "long_t": isinstance(item, int) and not isinstance(item, bool),
            "float_t": isinstance(item, int | float) and not isinstance(item, bool),
            "boolean_t": isinstance(item, bool),
            "json_t": True,
        }.get(base)
        if ok is None:
            out.append(f"{where}: base type {base!r} not understood by the validator")
            return
        if not ok:
            out.append(f"{where}: {item!r} is not a {type_name} ({base})")
            return
        if base == "integer_t" and not INT32[0] <= item <= INT32[1]:
            out.append(f"{where}: {item} is out of the integer_t range")
        if base == "long_t" and not INT64[0] <= item <= INT64[1]:
            out.append(f"{where}: {item} is out of the long_t range")
        for t in chain:
            info = self.types[t]
            if info.get("regex") and isinstance(item, str) and not re.search(info["regex"], item):
                out.append(f"{where}: {item!r} does not match the {t} pattern")
            if info.get("max_len") and isinstance(item, str) and len(item) > info["max_len"]:
                out.append(f"{where}: longer than {info['max_len']} characters ({t})")
            rng = info.get("range")
            if rng and isinstance(item, int) and not rng[0] <= item <= rng[1]:
                out.append(f"{where}: {item} outside {rng} ({t})")
            if info.get("values") is not None and item not in info["values"]:
                out.append(f"{where}: {item!r} is not one of {info['values']} ({t})")


def validate_lines(validator: OcsfValidator, text: str) -> list[str]:
    """Validate every line of an NDJSON text; errors are prefixed with the line number."""
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            event = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"line {number}: not JSON: {exc}")
            continue
        errors.extend(f"line {number}: {e}" for e in validator.errors(event))
    return errors
