"""Sigma rules translated for the lake: both field spellings, Sigma's modifiers and matching
rules, values bound (never in the SQL text), and rules that cannot run said so."""

from __future__ import annotations

import pytest

from pipeline.catalog import connect
from pipeline.sigma.check import check
from pipeline.sigma.detector import detectors_for
from pipeline.workspace import Workspace
from tests.sigma.records import SHAPES, audit, lake, signin, target
from tests.sigma.rules import matched, translation, write_rule


def _audits() -> dict[str, list[dict]]:
    """The same events in each shape (ids carry the shape), plus shape-specific extras."""
    out: dict[str, list[dict]] = {}
    for shape in SHAPES:
        out[shape] = [
            audit(
                f"owner-{shape}",
                "Add owner to application",
                targets=[
                    target("app-1", "Application", "Payroll agent"),
                    target(
                        "user-9", "User", "Mallory", {"Role.DisplayName": "Global Administrator"}
                    ),
                ],
            ),
            audit(
                f"consent-{shape}",
                "Consent to application",
                initiator="carol@contoso.com",
                targets=[
                    target(
                        "sp-2",
                        "ServicePrincipal",
                        "Travel bot",
                        {
                            "ConsentContext.IsAdminConsent": "False",
                            "ConsentAction.Permissions": "Mail.Read",
                        },
                    )
                ],
            ),
            audit(
                f"laps-{shape}",
                "Recover device local administrator password",
                category="Device",
                details=[
                    {
                        "key": "AdditionalInfo",
                        "value": "Successfully recovered local credential by device id",
                    }
                ],
            ),
            audit(
                f"invite-{shape}",
                "Invite external user",
                category="UserManagement",
                result="failure",
                reason="Microsoft.Online.Security.userConsentBlockedForRiskyAppsExceptions",
            ),
        ]
    return out


def _signins() -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for shape in SHAPES:
        out[shape] = [
            signin(f"lockout-{shape}", error=50053, reason="Account is locked"),
            signin(f"hound-{shape}", user_agent="azurehound/v2.1.0", protocol="deviceCode"),
            signin(f"untrusted-{shape}", compliant=False, trust_type=None, upn="dave@contoso.com"),
        ]
    return out


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    ws = Workspace.at(tmp_path_factory.mktemp("sigma") / "ws")
    ws.lake.mkdir(parents=True)
    lake(ws, _audits(), _signins())
    connection = connect(ws, read_only=True)
    yield connection
    connection.close()


def _each(prefix: str) -> set[str]:
    return {f"{prefix}-{shape}" for shape in SHAPES}


SPELLINGS = [
    # (service, Sentinel spelling, Event Hub spelling, events both must match)
    (
        "auditlogs",
        {"OperationName": "Add owner to application", "Category": "ApplicationManagement"},
        {
            "operationName": "Add owner to application",
            "properties.category": "ApplicationManagement",
        },
        _each("owner"),
    ),
    (
        "auditlogs",
        {"properties.message": "Consent to application", "ConsentContext.IsAdminConsent": "false"},
        {
            "properties.activityDisplayName": "Consent to application",
            "consentContext.isAdminConsent": "False",
        },
        _each("consent"),
    ),
    (
        "auditlogs",
        {"TargetResources.ModifiedProperties.NewValue|contains": "Global Admin"},
        {"properties.targetResources.modifiedProperties.newValue|contains": "global admin"},
        _each("owner"),
    ),
    (
        "auditlogs",
        {"AdditionalDetails.AdditionalInfo|contains": "recovered local credential"},
        {"additionalDetails.additionalInfo|contains": "recovered local credential"},
        _each("laps"),
    ),
    (
        "auditlogs",
        {"Status": "failure", "ResultReason|endswith": "RiskyAppsExceptions"},
        {"properties.result": "failure", "failure_status_reason|endswith": "riskyappsexceptions"},
        _each("invite"),
    ),
    (
        "signinlogs",
        {"ResultType": 50053},
        {"properties.status.errorCode": 50053},
        _each("lockout"),
    ),
    (
        "signinlogs",
        {"UserAgent|contains": "azurehound", "Status": "Success"},
        {"properties.userAgent|contains": "AzureHound", "resultSignature": "SUCCESS"},
        _each("hound"),
    ),
    (
        "signinlogs",
        {"properties.message": "Device Code"},
        {"properties.authenticationProtocol": "deviceCode"},
        _each("hound"),
    ),
    (
        "signinlogs",
        {"DeviceDetail.isCompliant": "false", "DeviceDetail.trustType": None},
        {"properties.deviceDetail.isCompliant": False, "properties.deviceDetail.trustType": None},
        _each("untrusted"),
    ),
]


@pytest.mark.parametrize(("service", "sentinel", "eventhub", "expected"), SPELLINGS)
def test_both_spellings_match_the_same_events(con, tmp_path, service, sentinel, eventhub, expected):
    a = translation(tmp_path, {"selection": sentinel}, service)
    b = translation(tmp_path, {"selection": eventhub}, service)
    assert matched(con, a) == matched(con, b) == expected


MODIFIERS = [
    # contains|all: every value somewhere in the field
    ({"OperationName|contains|all": ["add", "APPLICATION"]}, _each("owner")),
    ({"OperationName|contains|all": ["add", "consent"]}, set()),
    ({"OperationName|startswith": "consent to"}, _each("consent")),
    ({"OperationName|startswith": "to application"}, set()),
    ({"OperationName|endswith": "USER"}, _each("invite")),
    # a list of values: any of them
    (
        {"OperationName": ["Invite external user", "consent to application"]},
        _each("invite") | _each("consent"),
    ),
    # case-insensitive equality; |cased keeps case
    ({"OperationName": "ADD OWNER TO APPLICATION"}, _each("owner")),
    ({"OperationName|cased": "ADD OWNER TO APPLICATION"}, set()),
    ({"OperationName|cased": "Add owner to application"}, _each("owner")),
    # one value per target: any element matches
    ({"TargetResources.type": "user"}, _each("owner")),
    ({"TargetResources.displayName|startswith": "travel"}, _each("consent")),
    # null: the field is absent (no target, no consent context)
    ({"ConsentContext.IsAdminConsent": None, "Category": "Device"}, _each("laps")),
    ({"TargetResources.id": None, "Result": "failure"}, _each("invite")),
    # |exists, and two fields compared (|fieldref)
    ({"ConsentContext.IsAdminConsent|exists": True}, _each("consent")),
    ({"TargetResources.type|exists": False, "Category": "Device"}, _each("laps")),
    ({"OperationName|fieldref": "ActivityDisplayName", "Category": "Device"}, _each("laps")),
    # a regular expression
    ({"OperationName|re": "^(Add|Invite) .*(application|user)$"}, _each("owner") | _each("invite")),
]


@pytest.mark.parametrize(("selection", "expected"), MODIFIERS)
def test_modifiers(con, tmp_path, selection, expected):
    assert matched(con, translation(tmp_path, {"selection": selection})) == expected


def test_not_on_an_absent_field_keeps_the_event(con, tmp_path):
    """`not filter` where the event lacks the filter's field: the event is not filtered out."""
    t = translation(
        tmp_path,
        {
            "selection": {"Category": ["Device", "UserManagement"]},
            "filter": {"ConsentContext.IsAdminConsent": "true"},
            "condition": "selection and not filter",
        },
    )
    assert matched(con, t) == _each("laps") | _each("invite")


def test_numbers_compare(con, tmp_path):
    t = translation(tmp_path, {"selection": {"ResultType|gte": 50000}}, "signinlogs")
    assert matched(con, t) == _each("lockout")


@pytest.mark.parametrize(
    "value",
    ["x'; DROP VIEW audits; --", "100%", "a_b", "C:\\Windows\\", "quote ' and \" and \\"],
)
def test_values_are_bound_never_in_the_sql(con, tmp_path, value):
    for modifier in ("", "|contains", "|startswith", "|endswith"):
        t = translation(tmp_path, {"selection": {f"OperationName{modifier}": value}})
        assert value not in t.where and "DROP" not in t.where
        assert matched(con, t) == set()  # a % or _ in the value is no wildcard
    assert con.execute("SELECT count(*) FROM audits").fetchone()[0] == 4 * len(SHAPES)


def test_a_percent_in_a_value_matches_itself_only(con, tmp_path):
    t = translation(tmp_path, {"selection": {"OperationName|contains": "owner to"}})
    assert matched(con, t) == _each("owner")
    t = translation(tmp_path, {"selection": {"OperationName|contains": "owner%application"}})
    assert matched(con, t) == set()


def test_unknown_field_is_reported_never_run_empty(tmp_path):
    t = translation(tmp_path, {"selection": {"OperationName": "Add user", "ActivityDetails": "x"}})
    assert t.status == "unbound"
    assert t.verdict() == "binds to no real column: ActivityDetails"
    assert detectors_for([t]) == []


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        (
            {
                "detection": {"selection": {"operationName": "x"}},
                "logsource": {"product": "azure", "service": "activitylogs"},
            },
            "logsource azure/activitylogs has no table in the lake",
        ),
        ({"detection": {"selection": ["mimikatz"]}}, "keyword search (a value without a field)"),
        ({"detection": {"selection": {"OperationName|foo": "x"}}}, "unknown modifier 'foo'"),
        (
            {"detection": {"selection": {"OperationName|fieldref|contains": "Category"}}},
            "|fieldref with contains",
        ),
        (
            {"detection": {"selection": {"Category": "x"}, "condition": "selection | count() > 5"}},
            "pipe syntax",
        ),
    ],
)
def test_unsupported_rules_say_why(tmp_path, rule, why):
    t = translation(
        tmp_path,
        rule["detection"],
        logsource=rule.get("logsource", {"product": "azure", "service": "auditlogs"}),
    )
    assert t.status == "unsupported"
    assert why.lower() in t.verdict().lower()


def test_check_accounts_for_every_rule(tmp_path):
    folder = tmp_path / "rules"
    translation(folder, {"selection": {"OperationName": "Add user"}})
    translation(folder, {"selection": {"Nonexistent": "x"}})
    translation(
        folder,
        {"selection": {"operationName": "x"}},
        logsource={"product": "azure", "service": "riskdetection"},
    )
    report = check([folder])
    assert report.all_accounted
    assert dict(report.counts) == {"ok": 1, "unbound": 1, "unsupported": 1}
    assert report.summary().startswith("3 rule(s) in 3 file(s): 1 ok, 1 unsupported, 1 bind")
    assert "Spark: 1 of 1 transpile" in report.summary()
    assert sum("binds to no real column: Nonexistent" in line for line in report.lines()) == 1


def test_two_rules_with_one_id(tmp_path):
    folder = tmp_path / "rules"
    text = (
        "title: A\nid: 0123abcd-0000-0000-0000-000000000000\n"
        "logsource: {product: azure, service: auditlogs}\n"
        "detection: {s: {OperationName: x}, condition: s}\n"
    )
    write_rule(folder, "a", text)
    write_rule(folder, "b", text.replace("title: A", "title: B"))
    first, second = check([folder]).translations
    assert first.ok and first.rule_id == "SIGMA-0123abcd"
    assert second.status == "unsupported" and "already the id of" in second.reason
