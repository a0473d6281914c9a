"""A receiver for the reporter's tests: a real HTTP server on loopback that checks each request's Standard Webhooks
signature with the `standardwebhooks` package (the hub's own check) and keeps what it accepted. The hub itself
(hub/) is tested against the reporter in tests/test_report_hub.py."""

from __future__ import annotations

import base64
import http.server
import json
import secrets
import threading
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


def new_key() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class Receiver:
    """`answer` decides the status of the next requests: 200, 409 (already seen), 503 (down), "drop" (stores the
    batch, then closes the connection without an answer: the reply lost on the way)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.answer: Any = 200
        self.batches: list[dict[str, Any]] = []  # accepted bodies
        self.ids: list[str] = []  # every webhook-id seen, accepted or not
        self.refused: list[str] = []
        self.paths: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.paths.append(self.path)
                outer.ids.append(headers.get("webhook-id", ""))
                try:
                    Webhook(outer.key).verify(body, headers)
                except WebhookVerificationError as e:
                    outer.refused.append(str(e))
                    self._reply(401, {"error": "bad_signature", "message": str(e)})
                    return
                answer = outer.answer
                if answer in (200, "drop"):
                    outer.batches.append(json.loads(body))
                if answer == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                self._reply(int(answer), {"error": "x", "message": f"answered {answer}"})

            def _reply(self, status: int, d: dict[str, Any]) -> None:
                data = json.dumps(d).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def windows(self) -> list[dict[str, Any]]:
        return [w for b in self.batches for w in b["windows"]]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
