"""Consistent pseudonyms for user names, IP addresses and request URIs (``--redact``).

The same input always gives the same token within a workspace, so an analyst can still correlate
("the same user again") without seeing who. Tokens are a keyed hash (HMAC-SHA256) with a random
key kept in ``siem/redact.key`` (mode 0600): a plain hash of an IPv4 address could be reversed by
trying all four billion of them, a keyed one cannot without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import secrets
from pathlib import Path
from typing import Any

from detectors.finding import UNACCOUNTABLE, Finding, Identity
from pipeline.workspace import Workspace

KEY_FILE = "redact.key"
REDACTED_DOMAIN = "redacted.invalid"
#: identity kinds whose names are people's names (agents and apps keep theirs)
PEOPLE = ("human", "guest", "unknown")
#: details keys whose whole value is a request URI or URL (resource_path is the {id} template: kept)
_URI_KEY = re.compile(r"(uri|url)", re.IGNORECASE)

_PATTERN = re.compile(
    r"(?P<url>\bhttps?://[^\s\"'<>]+)"
    r"|(?P<email>[A-Za-z0-9._%+#'\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)"
    r"|(?P<ipv4>(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]))"
    r"|(?P<ipv6>(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f.]{0,15}(?![\w:]))"
)


def load_key(workspace: Workspace) -> bytes:
    """The workspace's redaction key, created (0600) on first use."""
    path = workspace.siem / KEY_FILE
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_bytes()
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


class Redactor:
    """Replaces user names, e-mail addresses / UPNs, IPs and URIs by stable tokens."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def for_workspace(cls, workspace: Workspace) -> Redactor:
        return cls(load_key(workspace))

    def token(self, kind: str, value: str) -> str:
        digest = hmac.new(self._key, f"{kind}\0{value}".encode(), hashlib.sha256).hexdigest()
        return f"{kind}-{digest[:12]}"

    def upn(self, value: str) -> str:
        if value.endswith("@" + REDACTED_DOMAIN):
            return value
        return f"{self.token('upn', value.lower())}@{REDACTED_DOMAIN}"

    def uri(self, value: str) -> str:
        match = re.match(r"^(https?://[^/?#\s]+)(.*)$", value)
        if match:
            if match.group(2).startswith("/uri-"):
                return value
            return f"{match.group(1)}/{self.token('uri', value)}"
        return value if value.startswith("uri-") else self.token("uri", value)

    def text(self, value: str) -> str:
        """Free text with every URL, e-mail / UPN and IP address inside it replaced."""
        return _PATTERN.sub(self._replace, value)

    def _replace(self, match: re.Match[str]) -> str:
        found = match.group(0)
        if match.group("url"):
            return self.uri(found)
        if match.group("email"):
            return self.upn(found)
        try:
            address = ipaddress.ip_address(found)
        except ValueError:
            return found  # e.g. a clock time such as 10:00:00
        return self.token("ip", address.compressed)

    def name(self, identity: Identity) -> str | None:
        """An identity's name: people's names become tokens, agents and apps keep theirs."""
        if identity.name is None:
            return None
        if identity.kind in PEOPLE:
            if "@" in identity.name:
                return self.upn(identity.name)
            return self.token("user", identity.name)
        return self.text(identity.name)

    def person(self, value: str) -> str:
        """A person named by UPN, display name or object id: always a token (UPN-shaped if
        it was one); the literal 'unaccountable' stays."""
        if value == UNACCOUNTABLE:
            return value
        return self.upn(value) if "@" in value else self.token("user", value)

    def identity(self, identity: Identity) -> Identity:
        sponsor = self.person(identity.sponsor) if identity.sponsor else None
        return identity.model_copy(update={"name": self.name(identity), "sponsor": sponsor})

    def value(self, key: str, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if _URI_KEY.search(key) and not value.startswith(("uri-", "http")):
            return self.uri(value)
        return self.text(value)

    def finding(self, finding: Finding) -> Finding:
        """The finding with names, addresses and URIs in every free-text field replaced."""
        baseline = tuple(
            fact.model_copy(
                update={
                    "description": self.text(fact.description),
                    "value": self.value(fact.name, fact.value),
                    "observed": self.value(fact.name, fact.observed),
                }
            )
            for fact in finding.baseline
        )
        update: dict[str, Any] = {
            "identity": self.identity(finding.identity),
            "explanation": self.text(finding.explanation),
            "title": self.text(finding.title),
            "baseline": baseline,
            "details": {k: self.value(k, v) for k, v in finding.details.items()},
            "accountable": self.person(finding.accountable),
        }
        if finding.on_behalf_of is not None:
            update["on_behalf_of"] = self.identity(finding.on_behalf_of)
        if finding.suppressed is not None:
            owner = finding.suppressed.owner
            update["suppressed"] = finding.suppressed.model_copy(
                update={
                    "reason": self.text(finding.suppressed.reason),
                    "owner": self.text(owner) if owner else None,
                }
            )
        return finding.model_copy(update=update)


def key_path(workspace: Workspace) -> Path:
    return workspace.siem / KEY_FILE
