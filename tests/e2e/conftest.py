"""Process harness for the end-to-end tests.

Every test gets its own PGSim (`tycostream sim`) and its own server (`tycostream serve`) on
loopback, each with free ports picked by the process itself (port 0) and read back from its
output, a schema file and SQL file in the test's temp dir, and a clean environment (no
DATABASE_*/GRAPHQL_* leaking in from the caller, no `.env` picked up: the working directory is
the temp dir). Both processes are stopped after the test, pass or fail: SIGTERM, then SIGKILL
after a grace period. They also die with pytest itself (PR_SET_PDEATHSIG), so an interrupted
run leaves nothing behind.

The binary is `$TYCOSTREAM_BIN`, or `.build/debug/tycostream` in the repository.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

STARTUP_TIMEOUT = 60.0  # a debug build on a loaded 2-core machine starts slowly
STOP_GRACE = 10.0
USER, PASSWORD = "materialize", "secret"


def binary() -> str:
    path = os.path.abspath(os.environ.get("TYCOSTREAM_BIN") or str(REPO / ".build" / "debug" / "tycostream"))
    if not os.access(path, os.X_OK):
        pytest.exit(f"{path} not found: build it with `swift build --product tycostream` or set TYCOSTREAM_BIN", 2)
    return path


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGKILL it when pytest goes away (Linux only)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def clean_environment(extra: dict[str, str]) -> dict[str, str]:
    prefixes = ("DATABASE_", "GRAPHQL_", "SCHEMA_PATH", "LOG_", "MAX_", "CONNECTION_INIT")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(extra)
    return env


#: Every process a test started, so the session can check none outlived its test.
STARTED: list[subprocess.Popen] = []


class Process:
    """A child process whose combined output goes to a log file we can poll and show."""

    def __init__(self, name: str, args: list[str], cwd: Path, env: dict[str, str]):
        self.name = name
        self.log_path = cwd / f"{name}.log"
        self._log = open(self.log_path, "wb")
        self.popen = subprocess.Popen(
            args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_die_with_parent)
        STARTED.append(self.popen)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def wait_for_line(self, pattern: str, timeout: float = STARTUP_TIMEOUT) -> re.Match[str]:
        """Polls the log until `pattern` matches; fails with the log if the process exits first."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            match = regex.search(self.log())
            if match:
                return match
            if self.popen.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.popen.returncode} before printing "
                                     f"{pattern!r}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not print {pattern!r} within {timeout}s:\n{self.log()}")
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after STOP_GRACE; returns the exit status (None if it had to be killed)."""
        graceful: int | None = None
        if self.popen.poll() is None:
            try:
                self.popen.send_signal(signal.SIGTERM)
                graceful = self.popen.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        else:
            graceful = self.popen.returncode
        self._log.close()
        return graceful

    def kill(self) -> int:
        """SIGKILL now (a crash: no shutdown code runs); returns the exit status (-9)."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
        status = self.popen.wait(timeout=STOP_GRACE)
        self._log.close()
        return status


@dataclass
class Stack:
    """A PGSim and a server on loopback, configured for one test."""

    directory: Path
    sim: Process
    pg_port: int
    server: Process | None = None
    http_port: int = 0
    stopped: list[int | None] = field(default_factory=list)

    # --- addresses ---------------------------------------------------------------------------
    @property
    def database_url(self) -> str:
        return f"postgres://{USER}:{PASSWORD}@127.0.0.1:{self.pg_port}/materialize?sslmode=disable"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.http_port}/graphql"

    # --- SQL ---------------------------------------------------------------------------------
    def sql(self, statement: str) -> list[list[object]]:
        """Runs one statement on PGSim with `tycostream query`; returns its rows."""
        result = subprocess.run(
            [binary(), "query", "--url", self.database_url, statement], cwd=self.directory,
            env=clean_environment({}), stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
            preexec_fn=_die_with_parent)
        if result.returncode != 0:
            raise AssertionError(f"SQL failed ({result.returncode}): {statement}\n{result.stderr.decode(errors='replace')}")
        return [json.loads(line) for line in result.stdout.decode().splitlines() if line.strip()]

    # --- HTTP --------------------------------------------------------------------------------
    def http(self, method: str, path: str, body: object | None = None, headers: dict[str, str] | None = None,
             raw: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        """Status, headers (lower-cased names) and body of one request; never raises on 4xx/5xx."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.http_url + path, data=data, method=method, headers=headers or {})
        if data is not None and "Content-Type" not in (headers or {}):
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
        except urllib.error.HTTPError as error:
            return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()

    def graphql_get(self, query: str, **params: str) -> tuple[int, dict]:
        status, _, body = self.http("GET", "/graphql?" + urllib.parse.urlencode({"query": query, **params}))
        return status, json.loads(body)

    def graphql_post(self, query: str, variables: dict | None = None) -> tuple[int, dict]:
        payload: dict[str, object] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        status, _, body = self.http("POST", "/graphql", payload)
        return status, json.loads(body)

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> dict:
        """Polls /ready until every source streams (200)."""
        deadline = time.monotonic() + timeout
        delay = 0.01
        last: tuple[int, bytes] = (0, b"")
        while time.monotonic() < deadline:
            if self.server and self.server.popen.poll() is not None:
                raise AssertionError(f"server exited with {self.server.popen.returncode}:\n{self.server.log()}")
            try:
                status, _, body = self.http("GET", "/ready")
                last = (status, body)
                if status == 200:
                    return json.loads(body)
            except OSError:
                pass
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
        raise AssertionError(f"/ready did not answer 200 within {timeout}s (last: {last}):\n"
                             f"{self.server.log() if self.server else ''}")

    # --- lifecycle ---------------------------------------------------------------------------
    def start_server(self, schema: str, ui: bool = False, env: dict[str, str] | None = None,
                     wait_ready: bool = True, name: str = "server") -> None:
        """Starts (or, after a stop or kill, restarts) the server; `name` names its log file."""
        schema_path = self.directory / "schema.yaml"
        schema_path.write_text(schema)
        self.server = Process(name, [binary()], self.directory, clean_environment({
            "DATABASE_URL": self.database_url,
            "GRAPHQL_HOST": "127.0.0.1",
            "GRAPHQL_PORT": "0",
            "GRAPHQL_UI": "true" if ui else "false",
            "SCHEMA_PATH": str(schema_path),
            "LOG_LEVEL": "info",
            **(env or {}),
        }))
        match = self.server.wait_for_line(r"GraphQL at http://[^\s]+:(\d+)/graphql")
        self.http_port = int(match.group(1))
        if wait_ready:
            self.wait_ready()

    def stop(self) -> None:
        for process in (self.server, self.sim):
            if process is not None:
                self.stopped.append(process.stop())


def start_sim(directory: Path, setup_sql: str) -> Stack:
    sql_path = directory / "setup.sql"
    sql_path.write_text(setup_sql)
    sim = Process("pgsim", [binary(), "sim", "--host", "127.0.0.1", "--port", "0", "--sql", str(sql_path),
                            "--user", f"{USER}:{PASSWORD}", "--heartbeat-ms", "50"], directory,
                  clean_environment({}))
    match = sim.wait_for_line(r"PGSim listening on [^\s]+:(\d+)")
    return Stack(directory=directory, sim=sim, pg_port=int(match.group(1)))


@pytest.fixture
def make_stack(tmp_path, request):
    """`make_stack(schema, setup_sql, ui=False, env=None)`: a running PGSim and server for this test."""
    stacks: list[Stack] = []

    def make(schema: str, setup_sql: str, ui: bool = False, env: dict[str, str] | None = None) -> Stack:
        directory = tmp_path / f"stack{len(stacks)}"
        directory.mkdir()
        stack = start_sim(directory, setup_sql)
        stacks.append(stack)
        stack.start_server(schema, ui=ui, env=env)
        return stack

    request.node.e2e_stacks = stacks
    yield make
    for stack in stacks:
        stack.stop()


@pytest.fixture
def webhook_receiver():
    """`webhook_receiver(seed=0)`: a started `receiver.Receiver` on loopback, stopped after the test."""
    from receiver import Receiver

    receivers: list[Receiver] = []

    def make(seed: int = 0) -> Receiver:
        receivers.append(Receiver(seed).start())
        return receivers[-1]

    yield make
    for receiver in receivers:
        receiver.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, the logs of the test's processes are shown with it."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for index, stack in enumerate(getattr(item, "e2e_stacks", [])):
            for process in (stack.sim, stack.server):
                if process is not None:
                    report.sections.append((f"{process.name} log (stack {index}, last 6000 chars)", process.log()[-6000:]))


def pytest_sessionfinish(session, exitstatus):
    leaked = [p.args for p in STARTED if p.poll() is None]
    for process in STARTED:
        if process.poll() is None:
            process.kill()
            process.wait()
    if leaked:
        sys.stderr.write(f"\nleaked processes (killed now): {leaked}\n")
        session.exitstatus = 1
