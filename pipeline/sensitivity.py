"""The sensitivity catalogue: which resources and Graph paths hold sensitive data, and its tag.

A built-in catalogue of well-known Microsoft resources (by resource app id and display name) and
Microsoft Graph paths ships here; a workspace's ``[[resources]]`` entries extend it and, for the
same ``match``, override it. Patterns are either:

* ``graph:/users/*/messages/**``: a glob over an activity's ``resource_path`` (``*`` is one path
  segment, ``**`` any number, ``{id}`` placeholders count as one segment), or
* a resource id or display name, compared case-insensitively with a sign-in's resource.

The same matcher decides an agent's ``allowed_resources``: ``matches(pattern, ...)`` for one
event, ``pattern_table(...)`` for DuckDB (the catalog joins it in SQL, see pipeline/catalog).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyarrow as pa

from pipeline.config import Config, ResourceRule

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"

TAGS = (
    "pii",
    "hr",
    "financial",
    "mail",
    "files",
    "directory",
    "secrets",
    "audit",
    "credentials",
    "health",
)


@dataclass(frozen=True)
class Entry:
    match: str
    sensitivity: str | None
    description: str = ""
    builtin: bool = True


def _e(match: str, tag: str | None, description: str) -> Entry:
    return Entry(match, tag, description, True)


#: Well-known Microsoft resources by app id and name; Graph paths by glob. Graph itself is not
#: sensitive as a whole: its paths decide.
BUILTIN: tuple[Entry, ...] = (
    _e(GRAPH_APP_ID, None, "Microsoft Graph (paths decide)"),
    _e("Microsoft Graph", None, "Microsoft Graph (paths decide)"),
    _e("00000002-0000-0ff1-ce00-000000000000", "mail", "Office 365 Exchange Online"),
    _e("Office 365 Exchange Online", "mail", "Exchange Online"),
    _e("00000003-0000-0ff1-ce00-000000000000", "files", "Office 365 SharePoint Online"),
    _e("Office 365 SharePoint Online", "files", "SharePoint Online"),
    _e("cfa8b339-82a2-471a-a3c9-0fc0be7a4093", "secrets", "Azure Key Vault"),
    _e("Azure Key Vault", "secrets", "Azure Key Vault"),
    _e("797f4846-ba00-4fd7-ba43-dac1f8f63013", "directory", "Azure Resource Manager"),
    _e("Windows Azure Service Management API", "directory", "Azure Resource Manager"),
    _e("Azure Resource Manager", "directory", "Azure Resource Manager"),
    _e("00000002-0000-0000-c000-000000000000", "directory", "Azure AD Graph (legacy)"),
    _e("Windows Azure Active Directory", "directory", "Azure AD Graph (legacy)"),
    _e("00000007-0000-0000-c000-000000000000", "financial", "Dataverse / Dynamics 365"),
    _e("Dynamics CRM Online", "financial", "Dataverse / Dynamics 365"),
    _e("Dynamics 365 Finance", "financial", "Dynamics 365 Finance"),
    _e("00000009-0000-0000-c000-000000000000", "financial", "Power BI Service"),
    _e("Power BI Service", "financial", "Power BI Service"),
    _e("e406a681-f3d4-42a8-90b6-c2b029497af1", "files", "Azure Storage"),
    _e("Azure Storage", "files", "Azure Storage"),
    _e("Microsoft Teams", "mail", "Microsoft Teams chats"),
    _e("cc15fd57-2c6c-4117-a88c-83b1d56b4bbe", "mail", "Microsoft Teams Services"),
    # Microsoft Graph paths (activity resource_path, API version stripped)
    _e("graph:/users/*/messages/**", "mail", "a user's mail"),
    _e("graph:/users/*/mailFolders/**", "mail", "a user's mail folders"),
    _e("graph:/me/messages/**", "mail", "the signed-in user's mail"),
    _e("graph:/me/mailFolders/**", "mail", "the signed-in user's mail folders"),
    _e("graph:/users/*/events/**", "mail", "a user's calendar"),
    _e("graph:/users/*/calendar/**", "mail", "a user's calendar"),
    _e("graph:/users/*/chats/**", "mail", "a user's Teams chats"),
    _e("graph:/chats/**", "mail", "Teams chats"),
    _e("graph:/teams/*/channels/*/messages/**", "mail", "Teams channel messages"),
    _e("graph:/users/*/contacts/**", "pii", "a user's contacts"),
    _e("graph:/users", "pii", "the user directory (profiles)"),
    _e("graph:/users/*", "pii", "a user's profile"),
    _e("graph:/me", "pii", "the signed-in user's profile"),
    _e("graph:/users/*/manager", "hr", "a user's manager"),
    _e("graph:/users/*/directReports/**", "hr", "a user's reports"),
    _e("graph:/users/*/employeeExperience/**", "hr", "a user's employee data"),
    _e("graph:/users/*/profile/**", "pii", "a user's profile"),
    _e("graph:/users/*/photo/**", "pii", "a user's photo"),
    _e("graph:/users/*/authentication/**", "credentials", "a user's authentication methods"),
    _e("graph:/me/authentication/**", "credentials", "authentication methods"),
    _e("graph:/users/*/drive/**", "files", "a user's OneDrive"),
    _e("graph:/me/drive/**", "files", "the signed-in user's OneDrive"),
    _e("graph:/drives/**", "files", "drives"),
    _e("graph:/sites/**", "files", "SharePoint sites"),
    _e("graph:/groups/*/drive/**", "files", "a group's files"),
    _e("graph:/directoryRoles/**", "directory", "directory roles"),
    _e("graph:/roleManagement/**", "directory", "role assignments"),
    _e("graph:/groups/**", "directory", "groups"),
    _e("graph:/applications/**", "directory", "app registrations"),
    _e("graph:/servicePrincipals/**", "directory", "service principals"),
    _e("graph:/directoryObjects/**", "directory", "directory objects"),
    _e("graph:/devices/**", "directory", "devices"),
    _e("graph:/organization/**", "directory", "the organisation"),
    _e("graph:/oauth2PermissionGrants/**", "directory", "delegated consents"),
    _e("graph:/identity/**", "directory", "identity settings and CA policies"),
    _e("graph:/policies/**", "directory", "policies"),
    _e("graph:/auditLogs/**", "audit", "audit and sign-in logs"),
    _e("graph:/security/**", "audit", "security alerts and incidents"),
    _e("graph:/applications/*/addPassword", "credentials", "adds an app secret"),
    _e("graph:/applications/*/addKey", "credentials", "adds an app certificate"),
    _e("graph:/servicePrincipals/*/addPassword", "credentials", "adds an SP secret"),
    _e("graph:/servicePrincipals/*/addKey", "credentials", "adds an SP certificate"),
    _e("graph:/applications/*/passwordCredentials/**", "credentials", "app secrets"),
    _e("graph:/applications/*/keyCredentials/**", "credentials", "app certificates"),
    _e("graph:/applications/*/federatedIdentityCredentials/**", "credentials", "federated creds"),
    _e("graph:/informationProtection/**", "secrets", "sensitivity labels and protection"),
    _e("graph:/users/*/insights/**", "pii", "a user's activity insights"),
    _e("graph:/reports/**", "audit", "usage reports"),
    _e("graph:/external/**", "files", "connector content"),
    _e("graph:/employeeExperience/**", "hr", "employee experience"),
    _e("graph:/education/**", "pii", "education records"),
)

_VERSION = re.compile(r"^/(?:v1\.0|beta)(?=/|$)", re.IGNORECASE)


def normalise_path(path: str | None) -> str | None:
    """Lower-case, no query string, no API version prefix, no trailing slash."""
    if path is None:
        return None
    p = path.split("?", 1)[0].strip()
    if not p.startswith("/"):
        m = re.match(r"^https?://[^/]+(/.*)?$", p, re.IGNORECASE)
        p = (m.group(1) or "/") if m else "/" + p
    p = _VERSION.sub("", p).rstrip("/") or "/"
    return p.lower()


def glob_regex(glob: str) -> str:
    """A ``graph:`` glob (without the prefix) as an anchored regex over a normalised path."""
    g = normalise_path(glob) or "/"
    out = []
    segments = g.strip("/").split("/") if g != "/" else []
    for i, seg in enumerate(segments):
        if seg == "**":
            # zero or more segments: "/a/**" matches "/a" and "/a/b/c"
            out.append("(?:/[^/]+)*")
        elif seg == "*":
            out.append("/[^/]+")
        else:
            parts = [re.escape(p) if p != "*" else "[^/]*" for p in re.split(r"(\*)", seg)]
            out.append("/" + "".join(parts))
        del i
    return "^" + ("".join(out) or "/") + "$"


def is_glob(pattern: str) -> bool:
    return pattern.lower().startswith("graph:")


def matches(
    pattern: str,
    resource: str | None = None,
    resource_id: str | None = None,
    resource_path: str | None = None,
) -> bool:
    """Whether one catalogue / allowed_resources pattern covers an event's resource.

    ``graph:`` globs match ``resource_path``; other patterns equal ``resource_id`` or the
    resource's display name (``resource``), case-insensitively.
    """
    if is_glob(pattern):
        path = normalise_path(resource_path)
        return path is not None and re.match(glob_regex(pattern[6:]), path) is not None
    key = pattern.strip().lower()
    return key != "" and key in {(resource or "").strip().lower(), (resource_id or "").lower()}


def catalogue(config: Config | None = None) -> list[Entry]:
    """Built-in entries, then the workspace's; a workspace entry replaces a built-in one with the
    same ``match`` (case-insensitive)."""
    extra: Sequence[ResourceRule] = config.resources if config else ()
    overridden = {r.match.strip().lower() for r in extra}
    out = [e for e in BUILTIN if e.match.lower() not in overridden]
    out.extend(Entry(r.match.strip(), r.sensitivity, r.description or "", False) for r in extra)
    return out


def _specificity(match: str) -> int:
    """Longer, more literal patterns win over broad ones ("/users/*/manager" over "/users/**")."""
    if not is_glob(match):
        return 10_000
    segs = match[6:].strip("/").split("/")
    literal = sum(1 for s in segs if s not in ("*", "**"))
    return literal * 100 + len(segs) * 10 - (50 if "**" in segs else 0)


PATTERN_SCHEMA = pa.schema(
    [
        ("pattern", pa.string()),  # as written
        ("kind", pa.string()),  # path | name (a resource id or display name)
        ("regex", pa.string()),  # path patterns: anchored regex over normalise_path(); else null
        ("first_segment", pa.string()),  # literal first path segment, or '*' (join key)
        ("key", pa.string()),  # name patterns: the lower-cased id / display name
        ("tag", pa.string()),
        ("priority", pa.int64()),  # higher wins; workspace entries beat built-in ones
        ("builtin", pa.bool_()),
    ]
)


def pattern_rows(entries: Iterable[Entry]) -> list[dict]:
    rows = []
    for e in entries:
        prio = _specificity(e.match) + (0 if e.builtin else 100_000)
        if is_glob(e.match):
            norm = normalise_path(e.match[6:]) or "/"
            first = norm.strip("/").split("/")[0] if norm != "/" else ""
            rows.append(
                {
                    "pattern": e.match,
                    "kind": "path",
                    "regex": glob_regex(e.match[6:]),
                    "first_segment": "*" if ("*" in first or first == "") else first,
                    "key": None,
                    "tag": e.sensitivity,
                    "priority": prio,
                    "builtin": e.builtin,
                }
            )
        else:
            rows.append(
                {
                    "pattern": e.match,
                    "kind": "name",
                    "regex": None,
                    "first_segment": None,
                    "key": e.match.strip().lower(),
                    "tag": e.sensitivity,
                    "priority": prio,
                    "builtin": e.builtin,
                }
            )
    return rows


def pattern_table(config: Config | None = None) -> pa.Table:
    """The catalogue as an Arrow table for DuckDB (``sensitivity_patterns`` in the catalog)."""
    return pa.Table.from_pylist(pattern_rows(catalogue(config)), schema=PATTERN_SCHEMA)


def path_tagger(config: Config | None = None):
    """A function path -> tag for many distinct paths: compiled once, indexed by first segment."""
    by_segment: dict[str, list[tuple[int, re.Pattern[str], str | None]]] = {}
    for row in pattern_rows(catalogue(config)):
        if row["kind"] == "path":
            by_segment.setdefault(row["first_segment"], []).append(
                (row["priority"], re.compile(row["regex"]), row["tag"])
            )
    for rules in by_segment.values():
        rules.sort(key=lambda r: -r[0])

    def tag(path: str | None) -> str | None:
        norm = normalise_path(path) or "/"
        first = norm.strip("/").split("/")[0] if norm != "/" else ""
        best: tuple[int, str | None] | None = None
        for key in (first, "*"):
            for prio, rx, value in by_segment.get(key, ()):
                if (best is None or prio > best[0]) and rx.match(norm):
                    best = (prio, value)
                    break  # sorted by priority: the first match of a segment is its best
        return best[1] if best else None

    return tag


def path_tags_table(paths: Iterable[str | None], config: Config | None = None) -> pa.Table:
    """(resource_path, tag) for distinct paths: what the catalog's ``path_sensitivity`` holds."""
    tag = path_tagger(config)
    unique = [p for p in dict.fromkeys(paths) if p is not None]
    return pa.table(
        {
            "resource_path": pa.array(unique, pa.string()),
            "tag": pa.array([tag(p) for p in unique], pa.string()),
        }
    )


def tag_for(
    config: Config | None,
    resource: str | None = None,
    resource_id: str | None = None,
    resource_path: str | None = None,
) -> str | None:
    """The catalogue's tag for one event's resource (the most specific matching entry wins)."""
    best: tuple[int, str | None] | None = None
    for row in pattern_rows(catalogue(config)):
        if matches(row["pattern"], resource, resource_id, resource_path):
            if best is None or row["priority"] > best[0]:
                best = (row["priority"], row["tag"])
    return best[1] if best else None
