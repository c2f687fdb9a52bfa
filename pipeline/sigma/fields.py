"""The agentaudit processing pipeline: Sigma field names → columns of the Sigma views.

SigmaHQ's Azure rules are mid-migration between two spellings of the same fields: Sentinel's
(``OperationName``, ``ResultType``, ``TargetResources``, ``properties.message``) and the Event
Hub's (``operationName``, ``properties.*``, lowerCamelCase). Both resolve to the view columns
(Sentinel's names, ``pipeline/sigma/sigma_*.sql``): a field is compared case-insensitively with
the columns after dropping a leading ``properties.``, and a few names the rules use for
something the logs call otherwise go through ``ALIASES``. A field that resolves to nothing is
left as it is, and the translation reports it ("binds to no real column"), never runs it empty.

The pipeline also tells the sqlite backend which view a rule reads (its ``table`` state, from the
rule's logsource), and refuses a rule whose logsource has no view.
"""

from __future__ import annotations

from functools import cache, partial

from sigma.processing.conditions import LogsourceCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import (
    FieldFunctionTransformation,
    RuleFailureTransformation,
    SetStateTransformation,
)

from pipeline.sigma.views import PRODUCT, TABLES, columns

#: names the rules use for something our views call otherwise (lower case, without
#: ``properties.``) → the view column
ALIASES: dict[str, dict[str, str]] = {
    "auditlogs": {
        "message": "ActivityDisplayName",  # properties.message: the activity's name
        "activitytype": "ActivityDisplayName",
        "status": "Result",  # Status: Success / failure
        "failure_status_reason": "ResultReason",
        "statusreason": "ResultReason",
        "initiatedby.user.displayname": "InitiatedBy.user.userPrincipalName",
        "time": "TimeGenerated",
    },
    "signinlogs": {
        # properties.message in SigmaHQ's sign-in rules names the authentication protocol as the
        # admin center shows it ("Device Code", "ROPC")
        "message": "AuthenticationProtocolName",
        "clientapp": "ClientAppUsed",
        "username": "UserPrincipalName",
        "errorcode": "ResultType",
        "resourceid": "ResourceIdentity",
        "appliedconditionalaccesspolicies": "ConditionalAccessPolicies",
        "location.countryorregion": "LocationDetails.countryOrRegion",
        "location.city": "LocationDetails.city",
        "location.state": "LocationDetails.state",
        "time": "TimeGenerated",
    },
}
#: ``<prefix>.<key>`` fields that read one key of a map column: prefix (lower case) → the name
#: the translation knows (``AdditionalDetails[<key>]``, see ``pipeline.sigma.render``)
MAP_PREFIXES: dict[str, dict[str, str]] = {
    "auditlogs": {"additionaldetails.": "AdditionalDetails"},
    "signinlogs": {},
}
#: the map columns of each view behind those names
MAP_COLUMNS: dict[str, dict[str, str]] = {
    "auditlogs": {"AdditionalDetails": "aa_additional_details"},
    "signinlogs": {},
}
PROPERTIES = "properties."


@cache
def _by_lower(service: str) -> dict[str, str]:
    return {name.lower(): name for name in columns(service)}


def resolve(service: str, field: str | None) -> str | None:
    """The view column (or map key reference) a rule's ``field`` reads in ``service``; the field
    unchanged when nothing matches (reported by the translation as binding to no column)."""
    if field is None:
        return None
    key = field.lower()
    if key.startswith(PROPERTIES):
        key = key[len(PROPERTIES) :]
    known = _by_lower(service)
    if key in ALIASES[service]:
        return ALIASES[service][key]
    if key in known:
        return known[key]
    for prefix, name in MAP_PREFIXES[service].items():
        if key.startswith(prefix) and len(key) > len(prefix):
            return f"{name}[{key[len(prefix) :]}]"
    return field


def _logsource(service: str) -> LogsourceCondition:
    return LogsourceCondition(product=PRODUCT, service=service)


def processing_pipeline() -> ProcessingPipeline:
    """The pipeline the sqlite backend converts with: per supported logsource, the field
    resolution and the view to read; any other logsource fails the rule."""
    items: list[ProcessingItem] = []
    for service, table in TABLES.items():
        items.append(
            ProcessingItem(
                identifier=f"agentaudit_{service}_fields",
                transformation=FieldFunctionTransformation(
                    mapping={}, transform_func=partial(resolve, service)
                ),
                rule_conditions=[_logsource(service)],
            )
        )
        items.append(
            ProcessingItem(
                identifier=f"agentaudit_{service}_table",
                transformation=SetStateTransformation("table", table.view),
                rule_conditions=[_logsource(service)],
            )
        )
    items.append(
        ProcessingItem(
            identifier="agentaudit_no_table",
            transformation=RuleFailureTransformation(
                "no lake table for this logsource (agentaudit maps "
                + ", ".join(f"{PRODUCT}/{s}" for s in TABLES)
                + ")"
            ),
            rule_conditions=[_logsource(s) for s in TABLES],
            rule_condition_linking=any,
            rule_condition_negation=True,
        )
    )
    return ProcessingPipeline(name="agentaudit Entra lake", priority=20, items=items)
