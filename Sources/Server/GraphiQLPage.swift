import Foundation

/// The GraphiQL page served at `GET /graphql` to browsers when `GRAPHQL_UI=true`.
///
/// GraphiQL itself loads from a CDN; queries go to our `/graphql` over HTTP and
/// subscriptions to our WebSocket endpoint over graphql-transport-ws.
enum GraphiQLPage {
    static func html(defaultQuery: String) -> String {
        let escapedQuery = defaultQuery
            .replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "`", with: "\\`")
            .replacingOccurrences(of: "$", with: "\\$")
            .replacingOccurrences(of: "</", with: "<\\/")
        return #"""
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>tycostream GraphiQL</title>
          <style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
          <link rel="stylesheet" href="https://unpkg.com/graphiql@3.7.1/graphiql.min.css">
        </head>
        <body>
          <div id="graphiql">Loading GraphiQL…</div>
          <script crossorigin src="https://unpkg.com/react@18/umd/react.production.min.js"></script>
          <script crossorigin src="https://unpkg.com/react-dom@18/umd/react-dom.production.min.js"></script>
          <script crossorigin src="https://unpkg.com/graphql-ws@5.16.0/umd/graphql-ws.min.js"></script>
          <script crossorigin src="https://unpkg.com/graphiql@3.7.1/graphiql.min.js"></script>
          <script>
            const url = location.origin + "/graphql";
            const subscriptionUrl = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/graphql";
            const fetcher = GraphiQL.createFetcher({ url, subscriptionUrl, wsClient: graphqlWs.createClient({ url: subscriptionUrl }) });
            ReactDOM.createRoot(document.getElementById("graphiql")).render(
              React.createElement(GraphiQL, { fetcher, defaultQuery: `\#(escapedQuery)` }));
          </script>
        </body>
        </html>
        """#
    }
}
