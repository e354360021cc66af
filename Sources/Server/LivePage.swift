/// The built-in live page at `GET /`: pick a source, type a `where` filter, watch its rows
/// change. No external assets: plain HTML and JavaScript speaking graphql-transport-ws.
enum LivePage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <title>tycostream live</title>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <style>
      body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2330; background: #fafbfc; }
      h1 { font-size: 1.3rem; margin: 0 0 1rem; }
      form { display: flex; gap: .5rem; flex-wrap: wrap; align-items: center; margin-bottom: 1rem; }
      select, input, button { font: inherit; padding: .35rem .5rem; border: 1px solid #c5cad3; border-radius: 4px; background: white; }
      input#where { flex: 1; min-width: 18rem; font-family: ui-monospace, monospace; }
      button { background: #2456d3; color: white; border-color: #2456d3; cursor: pointer; }
      #status { color: #5b6472; margin-left: .5rem; }
      table { border-collapse: collapse; width: 100%; background: white; }
      th, td { border-bottom: 1px solid #e3e6ea; padding: .3rem .6rem; text-align: left; font-variant-numeric: tabular-nums; }
      th { background: #f0f2f5; position: sticky; top: 0; }
      tr.inserted { animation: ins 1.2s ease-out; }
      td.updated { animation: upd 1.2s ease-out; }
      @keyframes ins { from { background: #c9f2d0; } to { background: white; } }
      @keyframes upd { from { background: #fff1a8; } to { background: white; } }
      .error { color: #b3261e; white-space: pre-wrap; }
      #counts { color: #5b6472; margin: .5rem 0; }
    </style>
    </head>
    <body>
    <h1>tycostream live</h1>
    <form id="form">
      <label>Source <select id="source"></select></label>
      <input id="where" placeholder='where, e.g. {"price": {"_gt": 100}}' value="{}">
      <button type="submit">Subscribe</button>
      <span id="status">connecting…</span>
    </form>
    <div id="counts"></div>
    <div id="error" class="error"></div>
    <table id="table"><thead></thead><tbody></tbody></table>
    <script>
    "use strict";
    const $ = (id) => document.getElementById(id);
    const endpoint = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/graphql";
    let socket = null, columns = [], keyColumns = [], rows = new Map(), counts = { INSERT: 0, UPDATE: 0, DELETE: 0 };

    async function graphql(query) {
      const response = await fetch("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
      const body = await response.json();
      if (body.errors) throw new Error(body.errors.map((e) => e.message).join("\n"));
      return body.data;
    }

    function unwrap(type) { while (type.ofType) type = type.ofType; return type; }

    async function loadSources() {
      const data = await graphql("{ __schema { subscriptionType { fields { name type { name ofType { name } } } } } }");
      const select = $("source");
      for (const field of data.__schema.subscriptionType.fields) {
        const option = document.createElement("option");
        option.value = field.name; option.textContent = field.name;
        select.appendChild(option);
      }
      const fromHash = new URLSearchParams(location.hash.slice(1));
      if (fromHash.get("source")) select.value = fromHash.get("source");
      if (fromHash.get("where")) $("where").value = fromHash.get("where");
    }

    async function columnsOf(source) {
      const data = await graphql(`{ __type(name: "${source}") { fields { name type { kind name ofType { kind name } } } } }`);
      return data.__type.fields.map((f) => ({ name: f.name, nonNull: f.type.kind === "NON_NULL" }));
    }

    function render() {
      const thead = $("table").tHead, tbody = $("table").tBodies[0];
      thead.innerHTML = "<tr>" + columns.map((c) => `<th>${c.name}</th>`).join("") + "</tr>";
      $("counts").textContent = `${rows.size} rows · ${counts.INSERT} inserts, ${counts.UPDATE} updates, ${counts.DELETE} deletes`;
    }

    function keyOf(data) { return JSON.stringify(keyColumns.map((k) => data[k])); }
    function cellText(value) { return value === null || value === undefined ? "" : (typeof value === "object" ? JSON.stringify(value) : String(value)); }

    function apply(update) {
      const tbody = $("table").tBodies[0];
      counts[update.operation] = (counts[update.operation] || 0) + 1;
      const key = keyOf(update.data);
      if (update.operation === "INSERT") {
        const tr = document.createElement("tr");
        tr.className = "inserted";
        tr.dataset.key = key;
        for (const c of columns) { const td = document.createElement("td"); td.dataset.column = c.name; td.textContent = cellText(update.data[c.name]); tr.appendChild(td); }
        rows.set(key, tr);
        tbody.appendChild(tr);
      } else if (update.operation === "UPDATE") {
        const tr = rows.get(key);
        if (tr) for (const name of update.fields) {
          const td = tr.querySelector(`td[data-column="${name}"]`);
          if (td) { td.textContent = cellText(update.data[name]); td.classList.remove("updated"); void td.offsetWidth; td.classList.add("updated"); }
        }
      } else if (update.operation === "DELETE") {
        const tr = rows.get(key);
        if (tr) { tr.remove(); rows.delete(key); }
      }
      render();
    }

    async function subscribe(event) {
      if (event) event.preventDefault();
      $("error").textContent = "";
      const source = $("source").value;
      let where;
      try { where = JSON.parse($("where").value || "{}"); } catch (e) { $("error").textContent = "The filter is not JSON: " + e.message; return; }
      location.hash = new URLSearchParams({ source, where: JSON.stringify(where) }).toString();
      columns = await columnsOf(source);
      keyColumns = columns.filter((c) => c.nonNull).map((c) => c.name);
      if (keyColumns.length === 0) keyColumns = columns.map((c) => c.name);
      rows = new Map(); counts = { INSERT: 0, UPDATE: 0, DELETE: 0 };
      $("table").tBodies[0].innerHTML = "";
      render();
      if (socket) socket.close(1000);
      socket = new WebSocket(endpoint, "graphql-transport-ws");
      socket.onopen = () => socket.send(JSON.stringify({ type: "connection_init", payload: {} }));
      socket.onclose = (e) => { $("status").textContent = `disconnected (${e.code}${e.reason ? ": " + e.reason : ""})`; };
      socket.onmessage = (message) => {
        const msg = JSON.parse(message.data);
        if (msg.type === "connection_ack") {
          $("status").textContent = "live";
          const query = `subscription ($where: ${source}Expression) { ${source}(where: $where) { operation fields data { ${columns.map((c) => c.name).join(" ")} } } }`;
          socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query, variables: { where } } }));
        } else if (msg.type === "next") {
          if (msg.payload.errors) $("error").textContent = msg.payload.errors.map((e) => e.message).join("\n");
          else apply(msg.payload.data[source]);
        } else if (msg.type === "error") {
          $("error").textContent = msg.payload.map((e) => e.message).join("\n");
        } else if (msg.type === "ping") {
          socket.send(JSON.stringify({ type: "pong" }));
        }
      };
    }

    $("form").addEventListener("submit", subscribe);
    loadSources().then(() => subscribe()).catch((e) => { $("error").textContent = e.message; $("status").textContent = "error"; });
    </script>
    </body>
    </html>
    """#
}
