"""Our OCSF output has the structure of class 2004 (Detection Finding) on any clone: checked
against our own copy of that part of the OCSF 1.8.0 schema (``ocsf_spec.py``), which the
compiled schema, when it is found, confirms line for line."""

from __future__ import annotations

import copy
import json

from ocsf_spec import CLASS, catalogue_events, dumps, extract, load_spec
from ocsf_validator import OcsfValidator, load_schema, validate_lines

#: class 2004's required attributes, from the OCSF 1.8.0 documentation of Detection Finding
#: (``cloud`` through the cloud profile our events declare)
REQUIRED = {
    "activity_id",
    "category_uid",
    "class_uid",
    "finding_info",
    "metadata",
    "severity_id",
    "time",
    "type_uid",
}


def test_our_copy_is_class_2004_with_its_required_attributes_and_enums():
    spec = load_spec()
    cls = spec["classes"][CLASS]
    assert cls["uid"] == 2004 and spec["version"] == "1.8.0" and "OCSF 1.8.0" in spec["source"]
    required = {n for n, a in cls["attributes"].items() if a["requirement"] == "required"}
    assert {n for n in required if not cls["attributes"][n].get("profile")} == REQUIRED
    assert cls["attributes"]["cloud"]["profile"] == "cloud" and "cloud" in required
    severity = cls["attributes"]["severity_id"]["enum"]
    assert [severity[str(i)]["caption"] for i in (1, 2, 3, 4, 5)] == [
        "Informational",
        "Low",
        "Medium",
        "High",
        "Critical",
    ]
    info = spec["objects"]["finding_info"]["attributes"]
    assert info["uid"]["requirement"] == "required"


def test_every_exported_finding_of_a_generated_tenant_has_the_structure(generated_run, validator):
    files = sorted(generated_run.siem.glob("findings-*.ocsf.jsonl"))
    assert files, "the nightly run exports its findings"
    lines = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert validate_lines(validator, text) == [], path.name
        lines += len(text.splitlines())
    assert lines > 0
    classes = {json.loads(line)["class_uid"] for f in files for line in f.read_text().splitlines()}
    assert classes == {2004}


def test_our_copy_finds_what_is_wrong():
    """The structural checks are real checks: each broken event names its problem."""
    ours = OcsfValidator(load_spec())
    good = catalogue_events()[0]
    assert ours.errors(good) == []

    def broken(mutate) -> str:
        event = copy.deepcopy(good)
        mutate(event)
        return "\n".join(ours.errors(event))

    assert "finding_info: required attribute missing" in broken(lambda e: e.pop("finding_info"))
    assert "metadata.version: required" in broken(lambda e: e["metadata"].pop("version"))
    assert "severity_id: 9 is not one of the enum ids" in broken(lambda e: e.update(severity_id=9))
    assert "status_id: 42 is not one of" in broken(lambda e: e.update(status_id=42))
    assert "class_uid: unknown class 2005" in broken(lambda e: e.update(class_uid=2005))
    assert "is not a timestamp_t" in broken(lambda e: e.update(time="yesterday"))
    assert "is not a integer_t" in broken(lambda e: e.update(severity_id="5"))
    assert "type_uid: must be class_uid * 100 + activity_id" in broken(
        lambda e: e.update(type_uid=200402)
    )
    missing = broken(lambda e: e.update(made_up=1))
    assert "made_up: not an attribute" in missing and "ocsf_spec.py" in missing


def test_our_copy_is_the_compiled_schema_part(ocsf_schema_file):
    """Regenerated from the compiled schema, the copy is byte for byte the committed one."""
    fresh = extract(load_schema(ocsf_schema_file), catalogue_events())
    assert dumps(fresh) == dumps(load_spec()), "run: python tests/siem/ocsf_spec.py <schema>"
