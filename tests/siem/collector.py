"""A local HTTP collector (127.0.0.1 only) for the push tests."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Collector:
    """A tiny HTTP collector: ``plan`` holds the statuses of the next requests (then 200);
    status 0 drops the connection without an answer."""

    def __init__(self) -> None:
        self.plan: list[int] = []
        self.always: int | None = None
        self.received: list[dict] = []  # one per accepted line (the envelope when HEC)
        self.headers: list[dict] = []
        self.requests = 0
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                collector.requests += 1
                status = collector.plan.pop(0) if collector.plan else (collector.always or 200)
                if status == 0:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if status == 200:
                    collector.headers.append(dict(self.headers))
                    collector.received.extend(json.loads(x) for x in body.decode().splitlines())
                    payload = b'{"text":"Success","code":0}'
                else:
                    payload = b'{"text":"Server is busy","code":9}'
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/collector/event"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def uids(self) -> list[str]:
        return [(r.get("event") or r)["finding_info"]["uid"] for r in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class IngestionService:
    """A local stand-in for the Azure Monitor Logs Ingestion API (127.0.0.1 only).

    It accepts ``POST /dataCollectionRules/{dcr}/streams/{stream}?api-version=2023-01-01`` with
    ``Authorization: Bearer {token}``, ``Content-Type: application/json`` and a gzip body holding a
    JSON array of rows with exactly ``columns``; answers 204. Any broken rule (path, version,
    token, encoding, call over ``limit`` bytes compressed or uncompressed, a field value over
    64 KB, a missing or extra column) is recorded in ``problems`` and answered 400. ``plan`` holds
    the statuses of the next calls: 429 comes with ``Retry-After``, 0 drops the connection, -1
    holds the call unanswered (its rows not written) until ``release`` is set, then drops it:
    the call in flight when an exporter is killed."""

    LIMIT = 1_000_000
    FIELD = 64 * 1024

    def __init__(self, columns, dcr="dcr-0123456789abcdef", stream="Custom-AgentAuditFinding_CL"):
        self.columns = set(columns)
        self.dcr, self.stream, self.token = dcr, stream, "test-token"
        self.plan: list[int] = []
        self.always: int | None = None
        self.retry_after = "7"
        self.rows: list[dict] = []
        self.problems: list[str] = []
        self.sizes: list[tuple[int, int]] = []
        self.requests = 0
        self.held = threading.Event()
        self.release = threading.Event()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                service.requests += 1
                status = service.plan.pop(0) if service.plan else (service.always or 204)
                if status == -1:
                    service.held.set()
                    service.release.wait(30)
                    status = 0
                if status == 0:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if status == 204:
                    problem = service.check(self.path, self.headers, body)
                    if problem:
                        service.problems.append(problem)
                        status = 400
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", service.retry_after)
                payload = b"" if status == 204 else b'{"error":{"code":"Busy"}}'
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def check(self, path: str, headers, body: bytes) -> str | None:
        import gzip
        from urllib.parse import parse_qs, urlsplit

        parts = urlsplit(path)
        if parts.path != f"/dataCollectionRules/{self.dcr}/streams/{self.stream}":
            return f"path {parts.path}"
        if parse_qs(parts.query).get("api-version") != ["2023-01-01"]:
            return f"query {parts.query}"
        if headers.get("Authorization") != f"Bearer {self.token}":
            return "authorization"
        if headers.get("Content-Type") != "application/json":
            return f"content type {headers.get('Content-Type')}"
        if headers.get("Content-Encoding") != "gzip":
            return "not gzip"
        raw = gzip.decompress(body)
        self.sizes.append((len(raw), len(body)))
        if len(body) > self.LIMIT or len(raw) > self.LIMIT:
            return f"call of {len(raw)} bytes ({len(body)} gzipped) over the limit"
        rows = json.loads(raw)
        if not isinstance(rows, list) or not rows:
            return "body is not a JSON array of rows"
        for row in rows:
            if set(row) != self.columns:
                return f"columns {sorted(set(row) ^ self.columns)}"
            for name, value in row.items():
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                if len(text.encode()) > self.FIELD:
                    return f"{name} holds {len(text.encode())} bytes"
        self.rows.extend(rows)
        return None

    def ids(self) -> list[str]:
        return [r["SystemAlertId"] for r in self.rows]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
