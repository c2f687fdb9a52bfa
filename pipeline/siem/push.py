"""HTTP delivery of OCSF lines: plain NDJSON or Splunk HTTP Event Collector, in batches, with
retries and exponential backoff, through the spool (``pipeline.siem.spool``).
"""

from __future__ import annotations

import json
import random
import ssl
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pipeline import __version__
from pipeline.errors import UsageError
from pipeline.siem.spool import DeliveryKey, Spool, delivery_key
from pipeline.workspace import Workspace

RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}
HEC_SOURCETYPE = "ocsf:detection_finding"


class DeliveryError(Exception):
    def __init__(self, message: str, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass
class PushResult:
    sent: int = 0  # lines acknowledged by the collector in this export
    skipped: int = 0  # already delivered before (same finding, status and severity)
    spooled: int = 0  # waiting in the spool for the next export
    from_spool: int = 0  # of ``sent``, how many an earlier export had left pending
    batches: int = 0
    requests: int = 0
    error: str | None = None
    delays: list[float] = field(default_factory=list)


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"--url {url!r}: give an http:// or https:// address of the collector, "
            "e.g. https://splunk.example:8088/services/collector/event"
        )
    if parts.username or parts.password:
        raise UsageError("--url: do not put credentials in the URL; use --hec-token")
    return url


def _as_update(event: dict) -> dict:
    """The same finding sent again after its status or severity changed: activity Update."""
    return {
        **event,
        "activity_id": 2,
        "activity_name": "Update",
        "type_uid": 200402,
        "type_name": "Detection Finding: Update",
    }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: following it would turn the POST into a GET and lose the batch
    while looking delivered, or hand the token to another host."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def display_url(url: str) -> str:
    """The URL without its query string (which may carry a token) for messages."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class HttpSink:
    """POSTs batches to one collector; ``send`` retries with exponential backoff and jitter."""

    def __init__(
        self,
        url: str,
        hec_token: str | None = None,
        timeout: float = 10.0,
        verify_tls: bool = True,
        retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = check_url(url)
        self.hec_token = hec_token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.raw = urlsplit(url).path.rstrip("/").endswith("/raw")
        self.channel = str(uuid.uuid5(uuid.NAMESPACE_URL, url))
        context = None
        if urlsplit(url).scheme == "https" and not verify_tls:
            context = ssl._create_unverified_context()  # verify_tls = false in agentaudit.toml
        self.opener = urllib.request.build_opener(
            _NoRedirect(), urllib.request.HTTPSHandler(context=context)
        )
        self.shown = display_url(url)
        self.requests = 0
        self.delays: list[float] = []

    def body(self, events: list[dict]) -> bytes:
        if self.hec_token and not self.raw:
            lines = [
                json.dumps(
                    {
                        "time": e["time"] / 1000,
                        "source": "agentaudit",
                        "sourcetype": HEC_SOURCETYPE,
                        "event": e,
                    },
                    separators=(",", ":"),
                )
                for e in events
            ]
        else:
            lines = [json.dumps(e, separators=(",", ":")) for e in events]
        return ("\n".join(lines) + "\n").encode()

    def headers(self) -> dict[str, str]:
        out = {"User-Agent": f"agentaudit/{__version__}", "Content-Type": "application/x-ndjson"}
        if self.hec_token:
            out["Authorization"] = f"Splunk {self.hec_token}"
            out["Content-Type"] = "application/json"
            out["X-Splunk-Request-Channel"] = self.channel
        return out

    def post(self, data: bytes) -> None:
        self.requests += 1
        req = urllib.request.Request(self.url, data=data, headers=self.headers(), method="POST")
        try:
            with self.opener.open(req, timeout=self.timeout) as resp:
                resp.read()
        except urllib.error.HTTPError as exc:
            retry_after = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
            detail = exc.read()[:200].decode("utf-8", "replace")
            raise DeliveryError(
                f"HTTP {exc.code} from {self.shown}: {detail}".strip(),
                retryable=exc.code in RETRYABLE_STATUS,
                retry_after=retry_after,
            ) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"{self.shown}: {reason}", retryable=True) from None

    def send(self, events: list[dict]) -> None:
        """Deliver one batch or raise DeliveryError after the last retry."""
        data = self.body(events)
        for attempt in range(self.retries + 1):
            try:
                self.post(data)
                return
            except DeliveryError as exc:
                if not exc.retryable or attempt == self.retries:
                    raise
                delay = min(self.max_backoff, self.backoff * 2**attempt)
                delay *= 0.5 + random.random() / 2  # jitter: many exporters do not sync up
                if exc.retry_after is not None:
                    delay = max(delay, min(exc.retry_after, self.max_backoff))
                self.delays.append(delay)
                self.sleep(delay)


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def push(
    workspace: Workspace,
    events: list[dict],
    sink: HttpSink,
    batch_size: int = 500,
    *,
    key: Callable[[dict], DeliveryKey] = delivery_key,
    update: Callable[[dict], dict] = _as_update,
    split: Callable[[list[dict]], list[list[dict]]] | None = None,
) -> PushResult:
    """Send what the spool holds plus ``events`` not delivered before; spool what fails.

    ``key`` names what the ledger records of an event, ``update`` turns an event whose finding
    was delivered before with another status or severity into an update, and ``split`` cuts the
    queue into requests (default: ``batch_size`` events each). ``sink`` has ``url``,
    ``send(events)`` (raising DeliveryError), ``requests`` and ``delays``."""
    result = PushResult()
    spool = Spool(workspace, sink.url)
    with spool.locked():
        delivered = spool.delivered()
        seen_uids = {uid for uid, _, _ in delivered}
        queue: dict[tuple, dict] = {}
        for event in spool.pending():
            k = key(event)
            if k not in delivered:
                queue[k] = event
        result.from_spool = len(queue)
        for event in events:
            k = key(event)
            if k in delivered:
                result.skipped += 1
            elif k not in queue:
                queue[k] = update(event) if k[0] in seen_uids else event
        items = list(queue.items())
        spool.write_pending([e for _, e in items])  # nothing is lost if we die while sending
        done = 0
        queued = [e for _, e in items]
        if split is None:
            sizes = [len(queued[i : i + batch_size]) for i in range(0, len(queued), batch_size)]
        else:
            sizes = [len(chunk) for chunk in split(queued)]
        try:
            for size in sizes:
                batch = items[done : done + size]
                sink.send([e for _, e in batch])
                spool.mark_delivered(k for k, _ in batch)
                done += len(batch)
                result.batches += 1
        except DeliveryError as exc:
            result.error = str(exc)
        finally:
            rest = items[done:]
            spool.write_pending([e for _, e in rest])
            result.sent = done
            result.from_spool = min(result.from_spool, done)
            result.spooled = len(rest)
            result.requests = sink.requests
            result.delays = list(sink.delays)
    return result
