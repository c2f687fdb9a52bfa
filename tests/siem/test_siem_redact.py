"""--redact: UPNs, IPs and request URIs replaced by consistent keyed tokens."""

from __future__ import annotations

import io
import json
import stat

from hypothesis import given
from hypothesis import strategies as st
from ocsf_validator import validate_lines
from siem_findings import DAY, catalogue

from detectors.finding import Identity
from detectors.store import write_day
from pipeline.siem import Redactor, export
from pipeline.siem.redact import key_path

KEY = b"k" * 32


def test_text_redaction_is_consistent_and_leaves_other_text_alone():
    r = Redactor(KEY)
    text = (
        "alice@contoso.com from 203.0.113.7 and 2001:db8::1 at 10:00:00 read "
        "https://graph.microsoft.com/v1.0/users/alice@contoso.com/messages?$top=5 "
        "object 5b1c0000-0000-4000-8000-000000000001"
    )
    out = r.text(text)
    for secret in ("alice@contoso.com", "203.0.113.7", "2001:db8::1", "/v1.0/users"):
        assert secret not in out
    for kept in (
        "10:00:00",
        "5b1c0000-0000-4000-8000-000000000001",
        "https://graph.microsoft.com/",
    ):
        assert kept in out
    assert r.text(text) == out  # same input, same token
    assert r.text("ALICE@contoso.com") == r.text("alice@contoso.com")  # UPNs are case-insensitive
    assert r.text("203.0.113.7") != r.text("203.0.113.8")
    assert Redactor(b"x" * 32).text(text) != out  # another workspace's key, other tokens
    assert r.text(out) == out  # idempotent


@given(st.text(max_size=80))
def test_redaction_never_fails_and_is_idempotent(text):
    r = Redactor(KEY)
    once = r.text(text)
    assert r.text(once) == once


def test_people_get_tokens_agents_keep_their_names():
    r = Redactor(KEY)
    person = r.identity(Identity(id="u1", kind="human", name="Alice Smith"))
    agent = r.identity(Identity(id="a1", kind="agent_identity", name="Finance agent"))
    assert person.name.startswith("user-") and person.id == "u1"
    assert agent.name == "Finance agent"


def test_redacted_export_hides_addresses_and_stays_valid(workspace, validator):
    write_day(workspace, DAY, catalogue())
    buf = io.StringIO()
    export(workspace, out="-", redact=True, stream=buf)
    text = buf.getvalue()
    for secret in ("alice@contoso.com", "cfo-office@contoso.com", "203.0.113.", "/users/alice"):
        assert secret not in text
    assert "@redacted.invalid" in text and "ip-" in text
    assert validate_lines(validator, text) == []
    assert stat.S_IMODE(key_path(workspace).stat().st_mode) == 0o600
    buf2 = io.StringIO()
    export(workspace, out="-", redact=True, stream=buf2)
    assert buf2.getvalue() == text  # consistent across exports of one workspace
    first = json.loads(text.splitlines()[0])
    assert first["finding_info"]["uid"]  # ids survive, so correlation still works


def test_request_uris_in_details_are_masked_resource_templates_kept():
    r = Redactor(KEY)
    f = catalogue()[0].model_copy(
        update={
            "details": {
                "request_uri": "/v1.0/users/bob@contoso.com/messages?$search=salary",
                "resource_path": "/users/{id}/messages",
            }
        }
    )
    out = r.finding(f).details
    assert out["request_uri"].startswith("uri-") and "bob" not in out["request_uri"]
    assert out["resource_path"] == "/users/{id}/messages"
    assert r.finding(f).details == out
