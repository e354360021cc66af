"""The built-in live page in headless Chromium: it subscribes, shows the rows, and reflects a
change made during the test. Drives Chromium through the DevTools protocol (no extra packages
beyond `websockets`) and keeps a screenshot in .test-artifacts/live-page.png.

Run by scripts/browser-test; exits non-zero on failure."""
import asyncio, base64, json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, ".build", "debug", "tycostream")
ARTIFACTS = os.path.join(ROOT, ".test-artifacts")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def query(port, sql):
    url = f"postgres://materialize:secret@127.0.0.1:{port}/materialize?sslmode=disable"
    subprocess.run([BIN, "query", "--url", url, sql], check=True, capture_output=True, timeout=30)


async def main():
    import websockets

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is not installed (apt-get install chromium)"
    work = tempfile.mkdtemp(prefix="tycostream-browser-")
    db_port, http_port, devtools_port = free_port(), free_port(), free_port()
    with open(os.path.join(work, "setup.sql"), "w") as f:
        f.write("CREATE TABLE users (id int PRIMARY KEY, name text, score float8);\n"
                "INSERT INTO users VALUES (1, 'alice', 10), (2, 'bob', 20), (3, 'carol', 30);\n")
    with open(os.path.join(work, "schema.yaml"), "w") as f:
        f.write("sources:\n  users:\n    primary_key: id\n    columns:\n      id: Integer\n      name: String\n      score: Float\n")
    processes = []
    try:
        processes.append(subprocess.Popen(
            [BIN, "sim", "--port", str(db_port), "--sql", os.path.join(work, "setup.sql"), "--user", "materialize:secret"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(lambda: socket.create_connection(("127.0.0.1", db_port), 1).close() or True, 30, "PGSim")
        env = dict(os.environ, DATABASE_URL=f"postgres://materialize:secret@127.0.0.1:{db_port}/materialize?sslmode=disable",
                   GRAPHQL_PORT=str(http_port), GRAPHQL_HOST="127.0.0.1", GRAPHQL_UI="true",
                   SCHEMA_PATH=os.path.join(work, "schema.yaml"))
        processes.append(subprocess.Popen([BIN, "serve", "--env-file", os.path.join(work, "none.env")], env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(lambda: urllib.request.urlopen(f"http://127.0.0.1:{http_port}/ready", timeout=1).status == 200, 30, "the server")
        processes.append(subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             f"--remote-debugging-port={devtools_port}", f"--user-data-dir={work}/chrome", "--window-size=1100,700",
             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        targets = wait_for(lambda: json.load(urllib.request.urlopen(f"http://127.0.0.1:{devtools_port}/json/list", timeout=1)),
                           30, "Chromium's DevTools endpoint")
        page = next(t for t in targets if t["type"] == "page")
        async with websockets.connect(page["webSocketDebuggerUrl"], max_size=None) as cdp:
            counter = 0

            async def call(method, **params):
                nonlocal counter
                counter += 1
                await cdp.send(json.dumps({"id": counter, "method": method, "params": params}))
                while True:
                    message = json.loads(await cdp.recv())
                    if message.get("id") == counter:
                        if "error" in message:
                            raise AssertionError(f"{method}: {message['error']}")
                        return message["result"]

            async def evaluate(expression):
                result = await call("Runtime.evaluate", expression=expression, returnByValue=True)
                return result["result"].get("value")

            async def until(expression, what, timeout=20):
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    value = await evaluate(expression)
                    if value:
                        return value
                    await asyncio.sleep(0.1)
                raise AssertionError(f"timed out waiting for {what}; page says: "
                                     + str(await evaluate("document.body.innerText")))

            await call("Page.enable")
            await call("Page.navigate", url=f"http://127.0.0.1:{http_port}/#source=users&where=%7B%7D")
            await until("document.getElementById('status') && document.getElementById('status').textContent === 'live'", "the live status")
            await until("document.querySelectorAll('#table tbody tr').length === 3", "three rows")
            names = await evaluate("[...document.querySelectorAll('#table tbody tr td[data-column=name]')].map(td => td.textContent).sort().join(',')")
            assert names == "alice,bob,carol", names

            query(db_port, "UPDATE users SET score = 99.5 WHERE id = 2")
            await until("[...document.querySelectorAll('#table tbody tr')].some(tr => tr.innerText.includes('bob') && tr.innerText.includes('99.5'))",
                        "bob's new score")
            query(db_port, "INSERT INTO users VALUES (4, 'dave', 1)")
            query(db_port, "DELETE FROM users WHERE id = 1")
            await until("document.querySelectorAll('#table tbody tr').length === 3 && document.body.innerText.includes('dave') && !document.body.innerText.includes('alice')",
                        "dave in, alice out")
            os.makedirs(ARTIFACTS, exist_ok=True)
            shot = await call("Page.captureScreenshot", format="png")
            with open(os.path.join(ARTIFACTS, "live-page.png"), "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        print("live page: rows shown, update/insert/delete reflected; screenshot in .test-artifacts/live-page.png")
        print("1 passed, 0 failed")
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        asyncio.run(asyncio.wait_for(main(), 120))
    except Exception as error:
        print(f"live page test failed: {error!r}", file=sys.stderr)
        print("0 passed, 1 failed")
        sys.exit(1)
