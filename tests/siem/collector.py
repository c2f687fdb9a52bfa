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
