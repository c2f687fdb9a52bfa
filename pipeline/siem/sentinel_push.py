"""Delivery of ``AgentAuditFinding_CL`` rows to Microsoft Sentinel through the Azure Monitor Logs
Ingestion API: ``POST {endpoint}/dataCollectionRules/{dcr}/streams/{stream}?api-version=2023-01-01``
with a bearer token, a gzipped JSON array per call, HTTP 204 on success.

This is a thin client over ``urllib`` (``HttpSink``'s retries, backoff and ``Retry-After``), not
``azure.monitor.ingestion.LogsIngestionClient``: the SDK's ``upload(list)`` chunks by item sizes
without JSON separators (so a call can exceed the 1 MB limit) and reports failed chunks only, so
the acknowledged ones cannot be recorded per call in the ledger that makes delivery once per
destination; and its retry policy does not retry a POST whose connection dropped or that got a
502. Tokens come from ``azure.identity.DefaultAzureCredential`` (environment, workload identity,
managed identity, Azure CLI), or from ``AGENTAUDIT_SENTINEL_TOKEN`` used as is.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from pipeline import __version__
from pipeline.errors import UsageError
from pipeline.siem.push import DeliveryError, HttpSink
from pipeline.siem.sentinel import fit_row, iso, row_size

API_VERSION = "2023-01-01"
SCOPE = "https://monitor.azure.com/.default"
TOKEN_ENV = "AGENTAUDIT_SENTINEL_TOKEN"
#: the API's limit per call, compressed and uncompressed (1 MB; we stay under the decimal MB)
MAX_REQUEST = 1_000_000


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def check_endpoint(endpoint: str) -> str:
    """The DCR's logs-ingestion endpoint (or a data collection endpoint), without a slash."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"--dcr-endpoint {endpoint!r}: give the https:// logs ingestion endpoint of the data "
            "collection rule, e.g. https://my-dcr-a1b2.eastus-1.ingest.monitor.azure.com"
        )
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise UsageError(
            "--dcr-endpoint: a bearer token is only sent over https:// "
            "(http:// is for a relay on this machine)"
        )
    if parts.username or parts.password or parts.query:
        raise UsageError("--dcr-endpoint: give the endpoint only, no credentials or query string")
    return endpoint.rstrip("/")


def ingestion_url(endpoint: str, dcr_id: str, stream: str) -> str:
    if not dcr_id.strip() or not stream.strip():
        raise UsageError("--dcr-id and --stream are needed to push to Sentinel")
    return (
        f"{check_endpoint(endpoint)}/dataCollectionRules/{quote(dcr_id.strip(), safe='')}"
        f"/streams/{quote(stream.strip(), safe='')}?api-version={API_VERSION}"
    )


def token_provider(environ: dict[str, str] | None = None) -> Callable[[], str]:
    """A function returning a bearer token for the Logs Ingestion API (cached by azure-identity
    until near expiry); ``AGENTAUDIT_SENTINEL_TOKEN``, when set, is returned as is."""
    env = os.environ if environ is None else environ
    static = env.get(TOKEN_ENV)
    if static:
        return lambda: static
    holder: list = []

    def get() -> str:
        if not holder:
            from azure.identity import DefaultAzureCredential

            holder.append(DefaultAzureCredential())
        return holder[0].get_token(SCOPE).token

    return get


def requests_of(rows: list[dict], limit: int = MAX_REQUEST) -> list[list[dict]]:
    """Consecutive groups of ``rows`` whose JSON array (and its gzip) fits ``limit`` bytes."""
    out: list[list[dict]] = []
    group: list[dict] = []
    size = 2  # the brackets
    for row in rows:
        n = row_size(row) + (1 if group else 0)
        if group and size + n > limit:
            out.append(group)
            group, size, n = [], 2, n - 1
        group.append(row)
        size += n
    if group:
        out.append(group)
    return [part for g in out for part in _gzip_fits(g, limit)]


def _gzip_fits(group: list[dict], limit: int) -> list[list[dict]]:
    if len(group) == 1 or len(gzip.compress(array_bytes(group))) <= limit:
        return [group]
    half = len(group) // 2
    return _gzip_fits(group[:half], limit) + _gzip_fits(group[half:], limit)


def array_bytes(rows: list[dict]) -> bytes:
    return json.dumps(rows, separators=(",", ":"), ensure_ascii=False).encode()


def prepare(rows: list[dict], limit: int = MAX_REQUEST) -> list[dict]:
    """Every row fitted into one call on its own (see ``fit_row``)."""
    return [fitted(row, limit) for row in rows]


def fitted(row: dict, limit: int = MAX_REQUEST) -> dict:
    """The row as it is when it fits into one call on its own, else cut down by ``fit_row``."""
    return row if row_size(row) + 2 <= limit else fit_row(row, limit - 2)


class SentinelSink(HttpSink):
    """POSTs gzipped JSON arrays of rows to one DCR stream; retries as ``HttpSink`` does."""

    def __init__(
        self,
        endpoint: str,
        dcr_id: str,
        stream: str,
        token: Callable[[], str] | None = None,
        timeout: float = 30.0,
        verify_tls: bool = True,
        retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(
            ingestion_url(endpoint, dcr_id, stream),
            timeout=timeout,
            verify_tls=verify_tls,
            retries=retries,
            backoff=backoff,
            max_backoff=max_backoff,
            sleep=sleep,
        )
        self.token = token or token_provider()
        self.now = now
        self.sizes: list[tuple[int, int]] = []  # (uncompressed, gzip) bytes of each call

    def body(self, events: list[dict]) -> bytes:
        # TimeGenerated is when the row reaches the table (fixed width: sizes do not change), so a
        # row that waited in the spool still falls in the analytics rule's query period
        stamp = iso(self.now())
        raw = array_bytes([{**row, "TimeGenerated": stamp} for row in events])
        data = gzip.compress(raw, mtime=0)
        self.sizes.append((len(raw), len(data)))
        return data

    def headers(self) -> dict[str, str]:
        try:
            token = self.token()
        except Exception as exc:  # azure-identity raises its own types; none is worth a retry
            raise DeliveryError(
                f"no token for {SCOPE}: {exc}".splitlines()[0]
                + " (sign in with managed identity or az login, or set "
                + f"{TOKEN_ENV})",
                retryable=False,
            ) from None
        return {
            "User-Agent": f"agentaudit/{__version__}",
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        }
