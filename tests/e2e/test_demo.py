"""`tycostream demo`, the embedded default: it starts, turns ready, a gql client receives live
demo rows (inserts, updates and deletes), its webhook trigger fires into the built-in receiver
(signed, verified, counted in /metrics), and SIGTERM ends it cleanly with exit 0."""
import asyncio
import json
import re
import time
import urllib.request

from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from conftest import Process, binary, clean_environment


def test_demo_serves_live_rows_and_stops_cleanly(tmp_path):
    started = time.monotonic()
    demo = Process("demo", [binary(), "demo", "--port", "0", "--rate", "20"], tmp_path, clean_environment({}))
    try:
        port = int(demo.wait_for_line(r"Live page:\s+http://127\.0\.0\.1:(\d+)/").group(1))
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as response:
                    ready = json.load(response)
                    if response.status == 200 and ready["ready"]:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"the demo never turned ready:\n{demo.log()}"
            time.sleep(0.05)
        start_to_ready = time.monotonic() - started
        assert set(ready["sources"]) == {"instruments", "trades", "positions"}
        assert all(source["state"] == "streaming" and source["rows"] > 0 for source in ready["sources"].values())

        async def watch():
            transport = WebsocketsTransport(url=f"ws://127.0.0.1:{port}/graphql")
            async with Client(transport=transport) as session:
                seen = {}
                query = gql("subscription { trades { operation fields data { id symbol side status price } } }")
                async for result in session.subscribe(query):
                    update = result["trades"]
                    seen[update["operation"]] = seen.get(update["operation"], 0) + 1
                    if all(seen.get(op) for op in ("INSERT", "UPDATE", "DELETE")):
                        return seen

        seen = asyncio.run(asyncio.wait_for(watch(), 60))
        assert seen["INSERT"] >= 300  # the opening trades arrive as INSERTs first

        # The demo trigger fires into the built-in receiver, which verified the signature.
        fired = demo.wait_for_line(r"webhook received: FIRE positions\.high_risk (\{.*\}) \(signature verified", timeout=60)
        row = json.loads(fired.group(1))
        assert row["risk_level"] == "high" and {"trader", "symbol", "market_value"} <= set(row), row
        assert "refused a delivery" not in demo.log()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            metrics = response.read().decode()
        delivered = re.search(r'^tycostream_webhook_attempts_total\{outcome="delivered"\} (\S+)$', metrics, re.M)
        assert delivered and float(delivered.group(1)) >= 1, metrics
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/graphql", method="POST", headers={"Content-Type": "application/json"},
            data=json.dumps({"query": "{ positions_triggers { name signed status { delivered dead_letters } } }"}).encode())
        with urllib.request.urlopen(request, timeout=5) as response:
            triggers = json.load(response)["data"]["positions_triggers"]
        assert [(t["name"], t["signed"]) for t in triggers] == [("high_risk", True)], triggers
        assert triggers[0]["status"]["delivered"] >= 1 and triggers[0]["status"]["dead_letters"] == 0, triggers
        print(f"demo start-to-ready: {start_to_ready:.2f}s; events seen: {seen}; "
              f"webhooks delivered: {triggers[0]['status']['delivered']}")
    finally:
        stopping = time.monotonic()
        status = demo.stop()
        stop_seconds = time.monotonic() - stopping
    assert status == 0, f"SIGTERM should end the demo with exit 0, got {status}:\n{demo.log()}"
    assert stop_seconds < 5, f"the demo took {stop_seconds:.1f}s to stop"
