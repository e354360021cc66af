"""A real webhook receiver for the trigger tests: a threaded `http.server` on loopback, in process.

It records every request it gets (path, headers, exact body, the status it answered) and checks
Standard Webhooks signatures (https://github.com/standard-webhooks/standard-webhooks, spec v1):
`webhook-id` must equal the body's `event_id`, `webhook-timestamp` must be Unix seconds within
five minutes of now, and one of the space-separated `v1,<base64>` entries of `webhook-signature`
must equal base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")) where key is the base64-decoded
part of the secret after `whsec_`. A request that fails the check is answered 400 and its reason
is kept in `signature_errors`, which the tests assert is empty.

Faults are set on the receiver while it runs: `fail_rate` (answer 500 to that fraction of
requests, drawn from a seeded `random.Random`, so a run is repeatable), `lose_reply_rate` (take
that fraction of requests, record them as accepted, then close the connection without answering:
the sender must retry, so the receiver sees a duplicate), `status` (answer every
request with it, e.g. 500 to make deliveries dead-letter), `delay` (seconds to sleep before
answering: a slow receiver), and `down()` / `up()` (close the listening socket so connections
are refused, then listen again on the same port).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import random
import socket
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

SIGNATURE_TOLERANCE = 300  # seconds, the spec's recommended replay window


def new_secret(size: int = 32) -> str:
    """A fresh Standard Webhooks secret: `whsec_` + base64 of `size` random bytes."""
    return "whsec_" + base64.b64encode(os.urandom(size)).decode()


def sign(secret: str, msg_id: str, timestamp: int | str, body: bytes) -> str:
    """The `v1,<base64>` signature of one message."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(secret: str, headers: dict[str, str], body: bytes, now: float | None = None) -> str | None:
    """None when the request is correctly signed with `secret`, else why not."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signature = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signature:
        return f"missing Standard Webhooks headers: id={msg_id!r} timestamp={timestamp!r} signature={signature!r}"
    try:
        seconds = int(timestamp)
    except ValueError:
        return f"webhook-timestamp {timestamp!r} is not Unix seconds"
    now = time.time() if now is None else now
    if abs(now - seconds) > SIGNATURE_TOLERANCE:
        return f"webhook-timestamp {seconds} is {now - seconds:.0f} s from now"
    expected = sign(secret, msg_id, timestamp, body)
    for candidate in signature.split(" "):
        if hmac.compare_digest(candidate, expected):
            return None
    return f"no signature in {signature!r} matches (expected {expected})"


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the sender hung up (killed, timed out, or we went down): not an error here
        super().handle_error(request, client_address)


@dataclass(frozen=True)
class Request:
    """One request the receiver got, and how it answered."""

    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    status: int
    at: float  # time.monotonic() when it was answered (or its answer dropped)
    client_port: int  # tells the sender's connections apart

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300


class Receiver:
    """`Receiver().start()`; `url(path)` is the webhook URL; `stop()` when done."""

    def __init__(self, seed: int = 0):
        self.random = random.Random(seed)
        self.fail_rate = 0.0
        self.lose_reply_rate = 0.0
        self.in_flight = 0  # requests read and not yet answered (e.g. sleeping through `delay`)
        self.status = 200
        self.delay = 0.0
        self.secrets: dict[str, str] = {}  # path → secret; requests to these paths must be signed
        self.requests: list[Request] = []
        self.signature_errors: list[str] = []
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._changed = threading.Condition()
        self._connections: set[socket.socket] = set()

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "Receiver":
        self.up()
        return self

    def up(self) -> None:
        """Listens (again) on the same port; the first call picks a free one."""
        if self._server is not None:
            return
        handler = self._handler_class()
        deadline = time.monotonic() + 10
        while True:
            try:
                server = _Server(("127.0.0.1", self.port), handler)
                break
            except OSError:  # the old socket's port may linger for a moment
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"receiver:{self.port}", daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Stops listening: new connections are refused until `up()`."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            assert self._thread is not None
            self._thread.join(timeout=10)
        # Kept-alive connections outlive the listening socket: cut them too, so "down" is down.
        with self._changed:
            connections, self._connections = self._connections, set()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self) -> None:
        self.down()

    @property
    def is_up(self) -> bool:
        return self._server is not None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    # --- what arrived ------------------------------------------------------------------------
    def snapshot(self, path: str | None = None, accepted_only: bool = True) -> list[Request]:
        with self._changed:
            return [r for r in self.requests
                    if (path is None or r.path == path) and (r.accepted or not accepted_only)]

    def events(self, path: str | None = None) -> list[dict]:
        """The JSON bodies of the accepted requests, in arrival order (duplicates included)."""
        return [r.json for r in self.snapshot(path)]

    def wait_for(self, predicate: Callable[["Receiver"], bool], timeout: float, what: str = "condition") -> None:
        """Waits until `predicate(self)` holds; fails after `timeout` seconds, saying what it waited for."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                if predicate(self):
                    return
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"receiver: {what} did not happen within {timeout}s "
                                         f"({len(self.requests)} requests, "
                                         f"{sum(r.accepted for r in self.requests)} accepted)")
                self._changed.wait(min(remaining, 0.2))

    # --- the handler -------------------------------------------------------------------------
    def _decide(self, path: str, headers: dict[str, str], body: bytes) -> int:
        """The status to answer; 0 means: take it, but lose the reply."""
        secret = self.secrets.get(path)
        if secret is not None:
            problem = verify(secret, headers, body)
            if problem is None:
                try:
                    event_id = json.loads(body).get("event_id")
                except (ValueError, AttributeError):
                    event_id = None
                if event_id != headers.get("webhook-id"):
                    problem = f"webhook-id {headers.get('webhook-id')!r} != body event_id {event_id!r}"
            if problem is not None:
                with self._changed:
                    self.signature_errors.append(f"{path}: {problem}")
                return 400
        with self._changed:
            if self.status != 200:
                return self.status
            if self.fail_rate and self.random.random() < self.fail_rate:
                return 500
            if self.lose_reply_rate and self.random.random() < self.lose_reply_rate:
                return 0
        return 200

    def _record(self, request: Request) -> None:
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would offer
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

            def setup(self) -> None:
                super().setup()
                with receiver._changed:
                    receiver._connections.add(self.connection)

            def finish(self) -> None:
                with receiver._changed:
                    receiver._connections.discard(self.connection)
                try:
                    super().finish()
                except OSError:
                    pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._changed:
                    receiver.in_flight += 1
                    receiver._changed.notify_all()
                try:
                    if receiver.delay:
                        time.sleep(receiver.delay)
                    if not receiver.is_up:  # went down while this request slept: drop it unanswered
                        self.close_connection = True
                        return
                    status = receiver._decide(self.path, headers, body)
                    receiver._record(Request(self.path, headers, body, status or 200, time.monotonic(),
                                             self.client_address[1]))
                finally:
                    with receiver._changed:
                        receiver.in_flight -= 1
                        receiver._changed.notify_all()
                if status == 0:  # taken, but the sender never learns it
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                answer = b"ok" if 200 <= status < 300 else b"no"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: the tests print their own summaries

        return Handler
