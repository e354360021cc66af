"""Webhook triggers end to end: PGSim → server → a real HTTP receiver on loopback.

The API is /work/notes/triggers-api.md's (upstream tycostream's `create_<source>_trigger`, plus
signing, delivery status and dead letters). A trigger FIREs when a row starts matching `fire` and
CLEARs when a matched row has `fire` false and `clear` true (without `clear`: `fire` false), or is
deleted (upstream docs/features/triggers.md; test/integration.e2e-spec.ts's hysteresis scenario).

`TriggerModel` computes the events a sequence of row changes implies; the receiver records what
arrived. Delivery is at least once, so tests compare the *first* arrival of each event id, per
key, with the model, and check that every duplicate is byte-identical to its first arrival.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import random
import time
from collections import defaultdict
from typing import Any, Callable

import pytest

from receiver import Receiver, new_secret, sign, verify

SOURCE = "user_scores"
SCHEMA = f"""
sources:
  {SOURCE}:
    primary_key: user_id
    columns:
      user_id: Integer
      name: String
      score: Integer
      active: Boolean
"""
SETUP = f"CREATE TABLE {SOURCE} (user_id integer PRIMARY KEY, name text, score integer, active boolean);\n"
COLUMNS = ("user_id", "name", "score", "active")

#: Deliveries to the receiver on 127.0.0.1 need loopback allowed; small backoffs keep tests short.
FAST = {"WEBHOOK_ALLOW_LOOPBACK": "true", "WEBHOOK_INITIAL_BACKOFF_MS": "50", "WEBHOOK_MAX_BACKOFF_MS": "500"}

#: Upstream's hysteresis trigger: fire at score >= 100, clear below 90 only when inactive.
HYST_FIRE = "{score: {_gte: 100}}"
HYST_CLEAR = "{_and: [{score: {_lt: 90}}, {active: {_eq: false}}]}"


def hyst_fire(row: dict) -> bool:
    return row["score"] is not None and row["score"] >= 100


def hyst_clear(row: dict) -> bool:
    return row["score"] is not None and row["score"] < 90 and row["active"] is False


STATUS_FIELDS = "pending delivered failed_attempts consecutive_failures dead_letters last_success last_failure last_error"
TRIGGER_FIELDS = f"name webhook fire clear fire_for_existing_rows signed status {{ {STATUS_FIELDS} }}"


# --- GraphQL helpers ---------------------------------------------------------------------------

def q(text: str) -> str:
    """A GraphQL string literal (JSON's escaping is GraphQL's for these strings)."""
    return json.dumps(text)


def errors(body: dict) -> list[str]:
    return [e.get("message", "") for e in body.get("errors") or []]


def create_trigger(stack, name: str, webhook: str, fire: str = HYST_FIRE, clear: str | None = HYST_CLEAR,
                   secret: str | None = None, existing: bool | None = None) -> tuple[int, dict]:
    fields = [f"name: {q(name)}", f"webhook: {q(webhook)}", f"fire: {fire}"]
    if clear is not None:
        fields.append(f"clear: {clear}")
    if existing is not None:
        fields.append(f"fire_for_existing_rows: {'true' if existing else 'false'}")
    if secret is not None:
        fields.append(f"secret: {q(secret)}")
    return stack.graphql_post(
        f"mutation {{ create_{SOURCE}_trigger(input: {{{', '.join(fields)}}}) {{ {TRIGGER_FIELDS} }} }}")


def must_create(stack, name: str, webhook: str, **options: Any) -> dict:
    status, body = create_trigger(stack, name, webhook, **options)
    assert status == 200 and not errors(body), f"creating {name}: {status} {body}"
    trigger = body["data"][f"create_{SOURCE}_trigger"]
    assert trigger["name"] == name and trigger["webhook"] == webhook
    return trigger


def refused(stack, name: str, webhook: str, **options: Any) -> str:
    """Creates a trigger that must be refused; returns the error message."""
    status, body = create_trigger(stack, name, webhook, **options)
    assert errors(body), f"{name} ({webhook}) was accepted: {status} {body}"
    assert status in (200, 400), (status, body)  # 200 + errors when executed; 400 when invalid GraphQL
    assert not (body.get("data") or {}).get(f"create_{SOURCE}_trigger"), body
    return errors(body)[0]


def trigger(stack, name: str) -> dict | None:
    status, body = stack.graphql_post(f"{{ {SOURCE}_trigger(name: {q(name)}) {{ {TRIGGER_FIELDS} }} }}")
    assert status == 200 and not errors(body), body
    return body["data"][f"{SOURCE}_trigger"]


def triggers(stack) -> list[dict]:
    status, body = stack.graphql_post(f"{{ {SOURCE}_triggers {{ {TRIGGER_FIELDS} }} }}")
    assert status == 200 and not errors(body), body
    return body["data"][f"{SOURCE}_triggers"]


def delete_trigger(stack, name: str) -> dict:
    status, body = stack.graphql_post(f"mutation {{ delete_{SOURCE}_trigger(name: {q(name)}) {{ name }} }}")
    assert status == 200 and not errors(body), body
    return body["data"][f"delete_{SOURCE}_trigger"]


def wait_status(stack, name: str, predicate: Callable[[dict], bool], timeout: float, what: str) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = trigger(stack, name)
        if found is not None and predicate(found["status"]):
            return found["status"]
        if time.monotonic() > deadline:
            raise AssertionError(f"trigger {name}: {what} not reached within {timeout}s; status {found}")
        time.sleep(0.1)


# --- what must arrive --------------------------------------------------------------------------

class TriggerModel:
    """The events one trigger must send for a sequence of row changes (upstream's semantics)."""

    def __init__(self, fire: Callable[[dict], bool], clear: Callable[[dict], bool] | None = None):
        self.fire = fire
        self.clear = clear or (lambda row: not fire(row))
        self.matched: set[int] = set()
        self.events: dict[int, list[tuple[str, dict]]] = defaultdict(list)

    def start(self, rows: dict[int, dict], fire_existing: bool = False) -> None:
        """The trigger is created over `rows`: matching rows are matched; they FIRE only if asked."""
        for key, row in rows.items():
            if self.fire(row):
                self.matched.add(key)
                if fire_existing:
                    self.events[key].append(("FIRE", dict(row)))

    def change(self, key: int, row: dict | None, last: dict | None = None) -> str | None:
        """`row` is the new state (None: deleted; `last` is the deleted row as the CLEAR carries it)."""
        if row is None:
            if key in self.matched:
                self.matched.discard(key)
                self.events[key].append(("CLEAR", dict(last or {"user_id": key})))
                return "CLEAR"
            return None
        if key not in self.matched and self.fire(row):
            self.matched.add(key)
            self.events[key].append(("FIRE", dict(row)))
            return "FIRE"
        if key in self.matched and not self.fire(row) and self.clear(row):
            self.matched.discard(key)
            self.events[key].append(("CLEAR", dict(row)))
            return "CLEAR"
        return None

    @property
    def total(self) -> int:
        return sum(len(events) for events in self.events.values())


class Data:
    """The table on PGSim and its mirror; statements are queued and run together by `flush()`.

    Each statement of a flush commits at its own timestamp; the drivers below change a key at
    most once per flush, so no transition depends on how the server batches timestamps.
    """

    def __init__(self, stack, models: list[TriggerModel] | None = None):
        self.stack = stack
        self.rows: dict[int, dict] = {}
        self.models = models or []
        self.pending: list[str] = []

    @staticmethod
    def sql_value(value: Any) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        return "'" + str(value).replace("'", "''") + "'"

    def insert(self, key: int, score: int | None, active: bool | None, name: str | None = None) -> None:
        assert key not in self.rows, f"test bug: {key} exists"
        row = {"user_id": key, "name": name if name is not None else f"user {key}", "score": score, "active": active}
        self.pending.append(f"INSERT INTO {SOURCE} (user_id, name, score, active) VALUES "
                            f"({', '.join(self.sql_value(row[c]) for c in COLUMNS)})")
        self.rows[key] = row
        for model in self.models:
            model.change(key, dict(row))

    def update(self, key: int, **changes: Any) -> None:
        assert key in self.rows, f"test bug: no row {key}"
        assignments = ", ".join(f"{c} = {self.sql_value(v)}" for c, v in changes.items())
        self.pending.append(f"UPDATE {SOURCE} SET {assignments} WHERE user_id = {key}")
        self.rows[key].update(changes)
        for model in self.models:
            model.change(key, dict(self.rows[key]))

    def delete(self, key: int, key_only: bool = False) -> None:
        """`key_only`: the server cannot know the row (it was down): the CLEAR carries only the key."""
        row = self.rows.pop(key)
        self.pending.append(f"DELETE FROM {SOURCE} WHERE user_id = {key}")
        for model in self.models:
            model.change(key, None, last={"user_id": key} if key_only else row)

    def flush(self) -> None:
        if self.pending:
            statements, self.pending = self.pending, []
            self.stack.sql("; ".join(statements))


# --- what arrived ------------------------------------------------------------------------------

def first_arrivals(receiver: Receiver, path: str) -> tuple[list[dict], int]:
    """The accepted events at `path` deduplicated by event id (first arrival order), and how many
    accepted requests were duplicates. Every duplicate must be byte-identical to the first."""
    first: dict[str, bytes] = {}
    events: list[dict] = []
    duplicates = 0
    for request in receiver.snapshot(path):
        event = request.json
        event_id = event["event_id"]
        if event_id in first:
            duplicates += 1
            assert request.body == first[event_id], \
                f"redelivery of {event_id} differs:\n{first[event_id]!r}\n{request.body!r}"
        else:
            first[event_id] = request.body
            events.append(event)
    return events, duplicates


def by_key(events: list[dict]) -> dict[int, list[tuple[str, dict]]]:
    result: dict[int, list[tuple[str, dict]]] = defaultdict(list)
    for event in events:
        result[event["data"]["user_id"]].append((event["event_type"], event["data"]))
    return result


def received_at_least(receiver: Receiver, path: str, model: TriggerModel) -> Callable[[Receiver], bool]:
    def done(_: Receiver) -> bool:
        events, _ = first_arrivals(receiver, path)
        got = by_key(events)
        return all(len(got.get(key, [])) >= len(expected) for key, expected in model.events.items())
    return done


def check_payload(event: dict, trigger_name: str) -> None:
    assert set(event) == {"event_id", "event_type", "trigger_name", "source", "timestamp", "mz_timestamp", "data"}, event
    assert isinstance(event["event_id"], str) and event["event_id"], event
    assert event["event_type"] in ("FIRE", "CLEAR"), event
    assert event["trigger_name"] == trigger_name, event
    assert event["source"] == SOURCE, event
    seen = dt.datetime.fromisoformat(event["timestamp"])  # ISO-8601 (3.11 takes the trailing Z)
    assert seen.tzinfo is not None, f"timestamp without a zone: {event['timestamp']}"
    assert abs((dt.datetime.now(dt.timezone.utc) - seen).total_seconds()) < 600, event["timestamp"]
    assert isinstance(event["mz_timestamp"], str) and event["mz_timestamp"].isdigit(), event
    assert isinstance(event["data"], dict) and isinstance(event["data"].get("user_id"), int), event


def assert_per_key(got: dict[int, list[tuple[str, dict]]], model: TriggerModel, label: str) -> None:
    expected = {key: events for key, events in model.events.items() if events}
    actual = {key: events for key, events in got.items() if events}
    for key in sorted(set(expected) | set(actual)):
        assert actual.get(key, []) == expected.get(key, []), \
            f"{label}: key {key}\n expected {expected.get(key, [])}\n got      {actual.get(key, [])}"


def assert_increasing_mz_timestamps(events: list[dict]) -> None:
    last: dict[int, int] = {}
    for event in events:
        key, mz = event["data"]["user_id"], int(event["mz_timestamp"])
        assert mz > last.get(key, -1), f"key {key}: mz_timestamp {mz} after {last.get(key)}"
        last[key] = mz


# === the receiver itself ========================================================================

def test_receiver_verifies_standard_webhooks_signatures():
    # The Standard Webhooks reference vector (svix / standard-webhooks libraries' tests).
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected
    headers = {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
               "webhook-signature": "v1,bm9wZQ== " + expected}
    assert verify(secret, headers, body, now=1614265330 + 10) is None
    assert "from now" in verify(secret, headers, body, now=1614265330 + 3600)  # replay window
    assert "matches" in verify(secret, headers, body + b" ", now=1614265330)  # body changed
    assert "matches" in verify(new_secret(), headers, body, now=1614265330)  # other secret
    assert "missing" in verify(secret, {"webhook-id": "x"}, body)
    assert len(base64.b64decode(new_secret().removeprefix("whsec_"))) == 32


def test_receiver_goes_down_and_up_on_the_same_port(webhook_receiver):
    import urllib.error
    import urllib.request

    receiver = webhook_receiver()
    post = lambda: urllib.request.urlopen(urllib.request.Request(receiver.url("/x"), data=b"{}"), timeout=5).status
    assert post() == 200
    port = receiver.port
    receiver.down()
    with pytest.raises(urllib.error.URLError):
        post()
    receiver.up()
    assert receiver.port == port and post() == 200
    receiver.status = 503
    with pytest.raises(urllib.error.HTTPError):
        post()
    assert [r.status for r in receiver.snapshot("/x", accepted_only=False)] == [200, 200, 503]


# === 1. hysteresis, signed =====================================================================

def test_hysteresis_fire_and_clear_with_signed_deliveries(make_stack, webhook_receiver):
    stack = make_stack(SCHEMA, SETUP + f"INSERT INTO {SOURCE} VALUES (9, 'early', 500, true);\n",
                       env=FAST)
    receiver = webhook_receiver()
    secret = new_secret()
    receiver.secrets["/hyst"] = secret

    created = must_create(stack, "score_threshold_trigger", receiver.url("/hyst"), secret=secret)
    assert created["signed"] is True and created["fire_for_existing_rows"] is False
    assert "score" in json.dumps(json.loads(created["fire"])) and "active" in json.dumps(json.loads(created["clear"]))
    # A second trigger without `clear` (CLEAR when `fire` turns false) that fires for existing rows.
    existing = must_create(stack, "existing", receiver.url("/existing"), clear=None, existing=True)
    assert existing["signed"] is False and existing["fire_for_existing_rows"] is True and existing["clear"] is None

    data = Data(stack)
    data.rows[9] = {"user_id": 9, "name": "early", "score": 500, "active": True}

    def step(action: Callable[[], None]) -> None:
        action()
        data.flush()  # one statement per step, as upstream's scenario runs them

    step(lambda: data.insert(1, 50, True))            # below: nothing
    step(lambda: data.update(1, score=150))           # crosses 100: FIRE
    step(lambda: data.update(1, score=160))           # still above: nothing
    step(lambda: data.update(1, active=False))        # inactive but still >= 100: nothing
    step(lambda: data.update(1, score=80))            # < 90 and inactive: CLEAR
    step(lambda: data.update(1, score=95))            # hysteresis band: nothing
    step(lambda: data.update(1, score=120, active=True))  # FIRE
    step(lambda: data.insert(2, 200, True))           # inserted above: FIRE
    step(lambda: data.update(2, score=210))           # nothing
    step(lambda: data.insert(3, 50, False))           # nothing
    step(lambda: data.delete(3))                      # deleted, never matched: nothing
    step(lambda: data.delete(1))                      # deleted while matched: CLEAR

    row = lambda key, name, score, active: {"user_id": key, "name": name, "score": score, "active": active}
    expected_hyst = {
        1: [("FIRE", row(1, "user 1", 150, True)), ("CLEAR", row(1, "user 1", 80, False)),
            ("FIRE", row(1, "user 1", 120, True)), ("CLEAR", row(1, "user 1", 120, True))],
        2: [("FIRE", row(2, "user 2", 200, True))],
    }
    expected_existing = {
        9: [("FIRE", row(9, "early", 500, True))],
        1: [("FIRE", row(1, "user 1", 150, True)), ("CLEAR", row(1, "user 1", 80, False)),
            ("FIRE", row(1, "user 1", 120, True)), ("CLEAR", row(1, "user 1", 120, True))],
        2: [("FIRE", row(2, "user 2", 200, True))],
    }

    def complete(_: Receiver) -> bool:
        return (len(first_arrivals(receiver, "/hyst")[0]) >= 5 and len(first_arrivals(receiver, "/existing")[0]) >= 6)
    receiver.wait_for(complete, timeout=30, what="5 hysteresis and 6 plain events")
    time.sleep(1.0)  # anything extra would show up now

    assert receiver.signature_errors == []
    for path, name, expected in [("/hyst", "score_threshold_trigger", expected_hyst),
                                 ("/existing", "existing", expected_existing)]:
        events, duplicates = first_arrivals(receiver, path)
        for event in events:
            check_payload(event, name)
        got = by_key(events)
        assert dict(got) == expected, f"{path}:\n expected {expected}\n got      {dict(got)}"
        assert_increasing_mz_timestamps(events)
        assert duplicates == 0, f"{path}: {duplicates} duplicates to an always-200 receiver"

    # Signed deliveries carry the Standard Webhooks headers with webhook-id = event_id; unsigned none.
    for request in receiver.snapshot("/hyst"):
        assert request.headers["webhook-id"] == request.json["event_id"]
        assert request.headers["content-type"].startswith("application/json")
    for request in receiver.snapshot("/existing"):
        assert "webhook-signature" not in request.headers
    # Event ids are distinct per transition and the same transition has the same id in one trigger only.
    ids = [e["event_id"] for e in first_arrivals(receiver, "/hyst")[0] + first_arrivals(receiver, "/existing")[0]]
    assert len(set(ids)) == len(ids)

    status = wait_status(stack, "score_threshold_trigger", lambda s: s["delivered"] == 5 and s["pending"] == 0,
                         timeout=10, what="delivered 5, pending 0")
    assert status["dead_letters"] == 0 and status["consecutive_failures"] == 0
    assert dt.datetime.fromisoformat(status["last_success"]).tzinfo is not None
    assert sorted(t["name"] for t in triggers(stack)) == ["existing", "score_threshold_trigger"]

    # After deleting a trigger its webhook gets nothing more; the other keeps going.
    assert delete_trigger(stack, "existing") == {"name": "existing"}
    assert trigger(stack, "existing") is None
    data.insert(4, 300, True)
    data.flush()
    receiver.wait_for(lambda r: len(first_arrivals(r, "/hyst")[0]) >= 6, timeout=20, what="FIRE for 4")
    time.sleep(0.5)
    assert len(first_arrivals(receiver, "/existing")[0]) == 6


# === 2. flaky receiver ==========================================================================

def drive_random(data: Data, rng: random.Random, keys: list[int], rounds_until: Callable[[], bool],
                 on_round: Callable[[int], None] = lambda r: None) -> int:
    """Random changes, one per chosen key per flush, biased towards transitions."""
    round_number = 0
    while not rounds_until():
        on_round(round_number)
        for key in rng.sample(keys, rng.randint(len(keys) // 2, len(keys))):
            row = data.rows.get(key)
            if row is None:
                data.insert(key, rng.choice([50, 95, 150, 200]), rng.random() < 0.5)
            elif rng.random() < 0.08:
                data.delete(key)
            elif hyst_fire(row):
                if rng.random() < 0.75:
                    data.update(key, score=rng.choice([40, 60, 85]), active=False)  # CLEAR
                else:
                    data.update(key, score=rng.choice([95, 85, 130]), active=rng.random() < 0.5)
            else:
                if rng.random() < 0.75:
                    data.update(key, score=rng.choice([100, 120, 180]), active=rng.random() < 0.5)  # FIRE
                else:
                    data.update(key, score=rng.choice([20, 95]), active=True)
        data.flush()
        round_number += 1
    return round_number


def test_flaky_receiver_gets_every_event_in_order_per_key(make_stack, webhook_receiver):
    stack = make_stack(SCHEMA, SETUP, env={**FAST, "WEBHOOK_MAX_ATTEMPTS": "1000"})
    receiver = webhook_receiver(seed=7)
    secret = new_secret()
    receiver.secrets["/flaky"] = secret
    receiver.fail_rate = 0.3
    receiver.lose_reply_rate = 0.05  # taken but unanswered: redelivered, a duplicate
    keys = list(range(1, 9))
    model = TriggerModel(hyst_fire, hyst_clear)
    data = Data(stack, [model])
    for key in keys:
        data.insert(key, 50, True)
    data.flush()
    must_create(stack, "flaky", receiver.url("/flaky"), secret=secret)
    model.start(data.rows)

    rng = random.Random(1234)
    down: dict[str, float] = {}

    def outage(round_number: int) -> None:
        if model.total >= 70 and "at" not in down:
            receiver.down()
            down["at"] = time.monotonic()
        elif "at" in down and "until" not in down:
            if time.monotonic() - down["at"] >= 3.0:
                receiver.up()
                down["until"] = time.monotonic()
            else:
                time.sleep(0.15)  # keep the run near 200 transitions: changes go on, slower

    started = time.monotonic()
    rounds = drive_random(data, rng, keys, lambda: model.total >= 200 and "until" in down, outage)
    driven = time.monotonic() - started
    receiver.wait_for(received_at_least(receiver, "/flaky", model), timeout=45,
                      what=f"all {model.total} events")
    time.sleep(1.0)

    events, duplicates = first_arrivals(receiver, "/flaky")
    assert receiver.signature_errors == []
    for event in events:
        check_payload(event, "flaky")
    assert_per_key(by_key(events), model, "flaky receiver")
    assert_increasing_mz_timestamps(events)
    refused_or_failed = len(receiver.snapshot("/flaky", accepted_only=False)) - len(receiver.snapshot("/flaky"))
    print(f"\nflaky: {model.total} transitions in {rounds} flushes ({driven:.1f} s, receiver down "
          f"{down['until'] - down['at']:.1f} s); delivered: {len(events)}, duplicated: {duplicates}, "
          f"answered 500: {refused_or_failed}")
    assert refused_or_failed > 0 and duplicates > 0  # the faults did happen
    status = wait_status(stack, "flaky", lambda s: s["pending"] == 0, timeout=10, what="pending 0")
    assert status["failed_attempts"] >= refused_or_failed and status["dead_letters"] == 0


# === 3. kill -9 and restart =====================================================================

def test_sigkill_restart_resumes_deliveries_and_catches_up(make_stack, webhook_receiver, tmp_path):
    store = tmp_path / "trigger-store"
    env = {**FAST, "WEBHOOK_MAX_BACKOFF_MS": "300", "WEBHOOK_MAX_ATTEMPTS": "1000", "TRIGGER_STORE": str(store)}
    stack = make_stack(SCHEMA, SETUP, env=env)
    receiver = webhook_receiver()
    secret = new_secret()
    receiver.secrets["/kill"] = secret
    fire = lambda row: row["score"] is not None and row["score"] >= 100
    model = TriggerModel(fire)  # no `clear`: CLEAR when score drops below 100
    data = Data(stack, [model])
    for key in range(1, 9):
        data.insert(key, 50, True)
    data.flush()
    must_create(stack, "survivor", receiver.url("/kill"), fire="{score: {_gte: 100}}", clear=None, secret=secret)
    model.start(data.rows)

    # Phase A: a slow receiver; some deliveries get through, the rest are recorded as pending.
    receiver.delay = 0.3
    for key in (1, 2, 3, 4):
        data.update(key, score=150)
    data.flush()
    data.update(1, score=10)
    data.flush()
    wait_status(stack, "survivor", lambda s: s["pending"] + s["delivered"] >= 5 and s["delivered"] >= 2,
                timeout=20, what="5 transitions recorded, 2 delivered")
    # Phase B: a very slow receiver: deliveries are in flight when the server is killed; the
    # receiver takes them (they count as delivered here) but the server never learns it.
    receiver.delay = 2.0
    data.update(2, score=20)
    data.update(5, score=150)
    data.flush()
    wait_status(stack, "survivor", lambda s: s["pending"] + s["delivered"] >= 7, timeout=20, what="7 transitions recorded")
    receiver.wait_for(lambda r: r.in_flight > 0, timeout=10, what="a delivery in flight")
    data.update(6, score=150)  # the server may or may not see this one before it dies
    data.flush()
    assert stack.server.kill() == -9
    receiver.delay = 0.0
    receiver.wait_for(lambda r: r.in_flight == 0, timeout=10, what="the in-flight deliveries to finish")
    delivered_before = len(first_arrivals(receiver, "/kill")[0])
    receiver.down()  # and stays down until the server is back: its first retries fail

    # While the server is down: a matched row deleted, one newly matching, one no longer matching,
    # a matched row changed but still matching, a new matching row, a row that flips and flips back.
    data.delete(3, key_only=True)
    data.update(7, score=150)
    data.update(4, score=30)
    data.update(5, score=170)
    data.insert(9, 200, False)
    data.flush()
    # key 1 goes above and back below while down: no net change, no event (the model must agree).
    model_before = {k: list(v) for k, v in model.events.items()}
    data.update(1, score=120)
    data.flush()
    data.update(1, score=10)
    data.flush()
    model.events = defaultdict(list, model_before)  # the server cannot see what it never observed

    stack.start_server(SCHEMA, env=env, name="server-restarted")
    listed = triggers(stack)
    assert [t["name"] for t in listed] == ["survivor"], listed
    assert listed[0]["signed"] is True and listed[0]["webhook"] == receiver.url("/kill")
    assert listed[0]["fire_for_existing_rows"] is False and json.loads(listed[0]["fire"]) == {"score": {"_gte": 100.0}}
    wait_status(stack, "survivor", lambda s: s["failed_attempts"] > 0, timeout=20, what="a failed attempt")
    receiver.up()
    receiver.wait_for(received_at_least(receiver, "/kill", model), timeout=45, what=f"all {model.total} events")
    time.sleep(1.0)

    events, duplicates = first_arrivals(receiver, "/kill")
    assert receiver.signature_errors == []
    for event in events:
        check_payload(event, "survivor")
    assert_per_key(by_key(events), model, "after kill -9")
    # The last event per key matches the final data: FIRE iff the row exists and matches.
    last = {key: events_[-1][0] for key, events_ in by_key(events).items()}
    for key in range(1, 10):
        row = data.rows.get(key)
        should = "FIRE" if row is not None and fire(row) else ("CLEAR" if key in last else None)
        assert last.get(key) == should, f"key {key}: last event {last.get(key)}, final row {row}"
    print(f"\nkill -9: {model.total} transitions; delivered before kill: {delivered_before}; "
          f"delivered: {len(events)}, duplicated: {duplicates}")
    wait_status(stack, "survivor", lambda s: s["pending"] == 0, timeout=10, what="pending 0")


# === 4. refusals, invalid input, deletion, dead letters =========================================

def test_refused_webhook_urls(make_stack, webhook_receiver):
    stack = make_stack(SCHEMA, SETUP, env={})  # WEBHOOK_ALLOW_LOOPBACK / _PRIVATE not set
    receiver = webhook_receiver()
    messages = {}
    for url in ["ftp://example.com/hook", receiver.url("/hook"), "http://localhost:9/hook", "http://[::1]:9/hook",
                "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/hook", "not-a-url", ""]:
        messages[url] = refused(stack, "t", url)
        assert messages[url].strip(), url
    print("\nrefusals:\n" + "\n".join(f"  {url!r}: {message}" for url, message in messages.items()))
    assert triggers(stack) == []
    assert receiver.snapshot(accepted_only=False) == []


def test_invalid_trigger_input(make_stack, webhook_receiver):
    stack = make_stack(SCHEMA, SETUP, env=FAST)
    receiver = webhook_receiver()
    url = receiver.url("/hook")
    messages = {
        "unknown column in fire": refused(stack, "a", url, fire="{nope: {_eq: 1}}"),
        "unknown column in clear": refused(stack, "b", url, clear="{nope: {_eq: 1}}"),
        "wrong value type": refused(stack, "c", url, fire='{score: {_gte: "lots"}}'),
        "secret not base64": refused(stack, "d", url, secret="whsec_not base64!"),
        "secret too short": refused(stack, "e", url, secret="whsec_" + base64.b64encode(b"12345678").decode()),
        "secret without key": refused(stack, "f", url, secret="whsec_"),
        "empty name": refused(stack, "", url),
        "control character in name": refused(stack, "a\u0007b", url),
    }
    assert "nope" in messages["unknown column in fire"] and "nope" in messages["unknown column in clear"]
    must_create(stack, "dup", url)
    messages["duplicate name"] = refused(stack, "dup", receiver.url("/other"))
    assert "dup" in messages["duplicate name"]
    print("\ninvalid input:\n" + "\n".join(f"  {what}: {message}" for what, message in messages.items()))
    listed = triggers(stack)
    assert [(t["name"], t["webhook"]) for t in listed] == [("dup", url)]


def test_an_empty_secret_is_refused_not_taken_as_unsigned(make_stack, webhook_receiver):
    # The contract: `secret`, when given, must be `whsec_<base64>`. An empty string (e.g. an unset
    # variable interpolated into the mutation) must not silently create an unsigned trigger.
    stack = make_stack(SCHEMA, SETUP, env=FAST)
    receiver = webhook_receiver()
    message = refused(stack, "empty_secret", receiver.url("/hook"), secret="")
    assert "secret" in message.lower()
    assert triggers(stack) == []


def test_deleting_a_trigger_drops_its_pending_deliveries(make_stack, webhook_receiver):
    stack = make_stack(SCHEMA, SETUP, env={**FAST, "WEBHOOK_MAX_BACKOFF_MS": "200", "WEBHOOK_MAX_ATTEMPTS": "1000"})
    receiver = webhook_receiver()
    receiver.down()
    data = Data(stack)
    for key in (1, 2, 3):
        data.insert(key, 50, True)
    data.flush()
    must_create(stack, "doomed", receiver.url("/doomed"))
    for key in (1, 2, 3):
        data.update(key, score=150)
    data.flush()
    status = wait_status(stack, "doomed", lambda s: s["pending"] == 3 and s["failed_attempts"] > 0, timeout=20,
                         what="3 pending after failed attempts")
    assert status["delivered"] == 0 and status["last_error"], status
    assert delete_trigger(stack, "doomed") == {"name": "doomed"}
    assert trigger(stack, "doomed") is None
    receiver.up()
    # A witness trigger on the same receiver proves deliveries flow again.
    must_create(stack, "witness", receiver.url("/witness"))
    # 1..3 match already (not fired: fire_for_existing_rows is false); 1 and 2 leaving CLEARs them.
    data.update(1, score=50, active=False)  # a CLEAR for doomed too, were it alive
    data.update(2, score=40, active=False)
    data.insert(4, 150, True)  # FIRE
    data.flush()
    receiver.wait_for(lambda r: len(r.snapshot("/witness")) >= 3, timeout=20, what="the witness's 3 events")
    time.sleep(1.5)  # > several backoffs of 50..200 ms: a surviving delivery would have arrived
    assert receiver.snapshot("/doomed", accepted_only=False) == []
    assert sorted((e["data"]["user_id"], e["event_type"]) for e in receiver.events("/witness")) == \
        [(1, "CLEAR"), (2, "CLEAR"), (4, "FIRE")]


def dead_letters(stack, trigger_name: str) -> list[dict]:
    status, body = stack.graphql_post(
        f"{{ webhook_dead_letters(source: {q(SOURCE)}, trigger: {q(trigger_name)}) "
        "{ event_id source trigger_name event_type attempts reason failed_at payload } }")
    assert status == 200 and not errors(body), body
    return body["data"]["webhook_dead_letters"]


def test_dead_letters_after_max_attempts_then_retry_and_discard(make_stack, webhook_receiver):
    stack = make_stack(SCHEMA, SETUP, env={**FAST, "WEBHOOK_MAX_ATTEMPTS": "2"})
    receiver = webhook_receiver()
    receiver.status = 500
    data = Data(stack)
    for key in (1, 2, 3):
        data.insert(key, 50, True)
    data.flush()
    must_create(stack, "doomed", receiver.url("/dead"))
    for key in (1, 2, 3):
        data.update(key, score=150)
    data.flush()

    deadline = time.monotonic() + 30
    while len(letters := dead_letters(stack, "doomed")) < 3:
        assert time.monotonic() < deadline, f"3 dead letters expected, have {letters}"
        time.sleep(0.1)
    assert len(letters) == 3
    attempts = defaultdict(int)
    for request in receiver.snapshot("/dead", accepted_only=False):
        attempts[request.json["event_id"]] += 1
    for letter in letters:
        assert letter["source"] == SOURCE and letter["trigger_name"] == "doomed" and letter["event_type"] == "FIRE"
        assert letter["attempts"] == 2 and attempts[letter["event_id"]] == 2, (letter, dict(attempts))
        assert letter["reason"] and "500" in letter["reason"], letter
        assert dt.datetime.fromisoformat(letter["failed_at"]).tzinfo is not None
        payload = json.loads(letter["payload"])
        check_payload(payload, "doomed")
        assert payload["event_id"] == letter["event_id"] and payload["data"]["score"] == 150
    status = trigger(stack, "doomed")["status"]
    assert status["dead_letters"] == 3 and status["pending"] == 0 and status["delivered"] == 0, status

    # The receiver is fixed: retrying two delivers them; discarding the third drops it.
    receiver.status = 200
    by_user = {json.loads(l["payload"])["data"]["user_id"]: l["event_id"] for l in letters}
    for user in (1, 2):
        assert stack.graphql_post(f"mutation {{ retry_webhook_dead_letter(event_id: {q(by_user[user])}) }}") == \
            (200, {"data": {"retry_webhook_dead_letter": True}})
    assert stack.graphql_post(f"mutation {{ discard_webhook_dead_letter(event_id: {q(by_user[3])}) }}") == \
        (200, {"data": {"discard_webhook_dead_letter": True}})
    receiver.wait_for(lambda r: len(r.snapshot("/dead")) >= 2, timeout=20, what="the 2 retried deliveries")
    time.sleep(0.5)
    delivered = receiver.snapshot("/dead")
    assert sorted(r.json["data"]["user_id"] for r in delivered) == [1, 2]
    assert {r.json["event_id"] for r in delivered} == {by_user[1], by_user[2]}
    assert dead_letters(stack, "doomed") == []
    # Unknown ids: false (or an error), never a crash.
    status_code, body = stack.graphql_post('mutation { retry_webhook_dead_letter(event_id: "no-such-id") }')
    assert status_code == 200 and (errors(body) or body["data"]["retry_webhook_dead_letter"] is False), body
    status = wait_status(stack, "doomed", lambda s: s["delivered"] == 2, timeout=10, what="delivered 2")
    assert status["dead_letters"] == 0, status


# === throughput =================================================================================

def test_delivery_throughput_to_a_fast_receiver(make_stack, webhook_receiver):
    rows = 1000
    values = ", ".join(f"({k}, 'u{k}', 50, true)" for k in range(1, rows + 1))
    stack = make_stack(SCHEMA, SETUP + f"INSERT INTO {SOURCE} VALUES {values};\n",
                       env={**FAST, "WEBHOOK_MAX_ATTEMPTS": "1000"})
    receiver = webhook_receiver()
    secret = new_secret()
    receiver.secrets["/fast"] = secret
    must_create(stack, "fast", receiver.url("/fast"), fire="{score: {_gte: 100}}", clear=None, secret=secret)

    started = time.monotonic()
    stack.sql(f"UPDATE {SOURCE} SET score = 150")  # 1,000 FIREs at one timestamp
    stack.sql(f"UPDATE {SOURCE} SET score = 40")  # 1,000 CLEARs at the next
    receiver.wait_for(lambda r: len(r.snapshot("/fast")) >= 2 * rows, timeout=55, what=f"{2 * rows} deliveries")
    elapsed = max(r.at for r in receiver.snapshot("/fast")) - started
    events, duplicates = first_arrivals(receiver, "/fast")
    assert receiver.signature_errors == []
    per_key = by_key(events)
    assert len(per_key) == rows
    assert all([t for t, _ in sequence] == ["FIRE", "CLEAR"] for sequence in per_key.values())
    connections = len({r.client_port for r in receiver.snapshot("/fast")})
    print(f"\ndeliveries/s: {len(events) / elapsed:.0f} ({len(events)} signed deliveries in {elapsed:.2f} s, "
          f"{duplicates} duplicates, {connections} connections)")


# === transitions at consecutive timestamps ======================================================

def test_every_timestamp_counts_even_within_one_batch(make_stack, webhook_receiver):
    """Several statements in one query commit at consecutive timestamps that the server may
    receive in one batch; each is a state of the data, so each transition must be delivered."""
    stack = make_stack(SCHEMA, SETUP + f"INSERT INTO {SOURCE} VALUES (1, 'one', 50, true), (2, 'two', 50, true);\n",
                       env=FAST)
    receiver = webhook_receiver()
    must_create(stack, "batch", receiver.url("/batch"))
    model = TriggerModel(hyst_fire, hyst_clear)
    data = Data(stack, [model])
    data.rows = {1: {"user_id": 1, "name": "one", "score": 50, "active": True},
                 2: {"user_id": 2, "name": "two", "score": 50, "active": True}}
    model.start(data.rows)
    data.update(1, score=150)                # FIRE
    data.update(1, score=50, active=False)   # CLEAR
    data.update(1, score=150, active=True)   # FIRE
    data.update(2, score=150)                # FIRE
    data.delete(2)                           # CLEAR
    data.flush()  # one query, five timestamps
    receiver.wait_for(received_at_least(receiver, "/batch", model), timeout=20, what=f"{model.total} events")
    time.sleep(0.5)
    events, _ = first_arrivals(receiver, "/batch")
    assert_per_key(by_key(events), model, "one batch")
    assert_increasing_mz_timestamps(events)
