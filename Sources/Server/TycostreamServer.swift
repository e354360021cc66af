import Foundation
import GraphQL
import GraphQLAPI
import Hummingbird
import HummingbirdWSCompression
import HummingbirdWebSocket
import LiveViews
import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// The HTTP and WebSocket face of the server (Hummingbird 2).
///
/// - `POST /graphql` (JSON body) and `GET /graphql?query=…` run queries and mutations;
///   subscriptions over HTTP are refused with a clear error.
/// - WebSocket upgrades at `/graphql` speak graphql-transport-ws or the legacy graphql-ws,
///   negotiated from `Sec-WebSocket-Protocol`; permessage-deflate is offered.
/// - `GET /graphql` from a browser serves GraphiQL and `GET /` the live page, when the UI is on.
/// - `GET /health` (the process is up) and `GET /ready` (every source streams).
/// - `GET /metrics`: Prometheus text exposition of ``ServerMetrics`` (404 when metrics are off).
public enum TycostreamServer {
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var ui: Bool
        public var maximumRequestBytes: Int
        public var webSocket: WSConfiguration
        /// The most WebSocket connections served at once; more are closed with 1013 (try again later).
        public var maximumConnections: Int

        public init(host: String = "0.0.0.0", port: Int = 4000, ui: Bool = false, maximumRequestBytes: Int = 1 << 20,
                    webSocket: WSConfiguration = WSConfiguration(), maximumConnections: Int = 10_000) {
            self.host = host
            self.port = port
            self.ui = ui
            self.maximumRequestBytes = maximumRequestBytes
            self.webSocket = webSocket
            self.maximumConnections = maximumConnections
        }
    }

    /// Builds the application; run it as a `Service`.
    public static func application(
        service: GraphQLService, options: Options, logger: Logger,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: ServerRequestContext.self)
        addRoutes(to: router, service: service, options: options)

        let webSocketRouter = Router(context: ServerRequestContext.self)
        let webSocketOptions = options.webSocket
        let connections = ConnectionLimiter(maximum: options.maximumConnections)
        webSocketRouter.ws("/graphql") { request, _ in
            let offered = request.headers[values: .secWebSocketProtocol]
            guard let chosen = Subprotocol.negotiate(offered) else { return .upgrade([:]) }
            return .upgrade([.secWebSocketProtocol: chosen.rawValue])
        } onUpgrade: { inbound, outbound, context in
            let remote = ConnectionLog.describe(context.requestContext.remoteAddress)
            guard connections.acquire() else {
                context.logger.warning(
                    "refusing a WebSocket connection: \(options.maximumConnections) are open (MAX_CONNECTIONS)",
                    metadata: ["remote": "\(remote ?? "unknown")"])
                try? await outbound.close(.unknown(1013), reason: "Too many connections; try again later")
                return
            }
            defer { connections.release() }
            let chosen = Subprotocol.negotiate(context.request.headers[values: .secWebSocketProtocol])
            await WebSocketConnection.serve(
                inbound: inbound, outbound: outbound, subprotocol: chosen, service: service,
                configuration: webSocketOptions, logger: context.logger, remote: remote)
        }

        return Application(
            router: router,
            server: .http1WebSocketUpgrade(
                webSocketRouter: webSocketRouter,
                configuration: .init(ws: .init(
                    maxFrameSize: max(options.webSocket.maximumMessageSize, 1 << 16),
                    extensions: [.perMessageDeflate(maxDecompressedFrameSize: options.webSocket.maximumMessageSize)],
                    autoPing: .enabled(timePeriod: .seconds(30))))),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "tycostream"),
            onServerRunning: onServerRunning,
            logger: logger)
    }

    static func addRoutes<Context: RequestContext>(to router: Router<Context>, service: GraphQLService, options: Options) {
        router.post("/graphql") { request, context -> Response in
            let body = try await request.body.collect(upTo: options.maximumRequestBytes)
            let graphQLRequest: GraphQLRequest
            do {
                graphQLRequest = try JSONDecoder().decode(GraphQLRequest.self, from: Data(body.readableBytesView))
            } catch {
                return json(.badRequest, GraphQLService.encode(errors: [GraphQLError(
                    message: "The request body must be JSON: {\"query\": \"…\", \"variables\": {…}, \"operationName\": \"…\"}")]))
            }
            return await run(graphQLRequest, service: service, allowMutations: true)
        }

        router.get("/graphql") { request, context -> Response in
            let query = formParameters(request.uri.query)
            guard let text = query["query"] else {
                if options.ui, request.headers[.accept]?.contains("text/html") == true {
                    return html(GraphiQLPage.html(defaultQuery: defaultQuery(service.api)))
                }
                return json(.badRequest, GraphQLService.encode(errors: [GraphQLError(
                    message: "Send a query: GET /graphql?query=…, POST /graphql with a JSON body, or subscribe over WebSocket at /graphql")]))
            }
            var variables: [String: Map] = [:]
            if let raw = query["variables"], !raw.isEmpty {
                guard let decoded = try? JSONDecoder().decode([String: Map].self, from: Data(raw.utf8)) else {
                    return json(.badRequest, GraphQLService.encode(errors: [GraphQLError(message: "variables must be a JSON object")]))
                }
                variables = decoded
            }
            // An empty operationName (as forms send an unset field) means none.
            let operationName = query["operationName"].flatMap { $0.isEmpty ? nil : $0 }
            let request = GraphQLRequest(query: text, operationName: operationName, variables: variables)
            return await run(request, service: service, allowMutations: false)
        }

        router.get("/health") { _, _ -> Response in
            json(.ok, Array(#"{"status":"ok"}"#.utf8))
        }

        router.get("/ready") { _, _ -> Response in
            let statuses = await service.hub.status()
            let waiting = statuses.filter { $0.timestamp == nil }
            var body = #"{"ready":\#(waiting.isEmpty),"sources":{"#
            body += statuses.map { status in
                let state = status.timestamp != nil ? "streaming" : (status.isRunning ? "waiting for snapshot" : "not started")
                return "\(JSONText.string(status.name)):{\"state\":\"\(state)\",\"rows\":\(status.rowCount)"
                    + (status.timestamp.map { ",\"timestamp\":\($0)" } ?? "") + "}"
            }.joined(separator: ",")
            body += "}}"
            return json(waiting.isEmpty ? .ok : .serviceUnavailable, Array(body.utf8))
        }

        router.get("/metrics") { _, _ -> Response in
            guard let body = service.metrics.exposition(
                statuses: await service.hub.status(), encodings: service.encodings.statistics)
            else { return Response(status: .notFound) }
            // Text format 0.0.4: https://prometheus.io/docs/instrumenting/exposition_formats/
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }

        if options.ui {
            router.get("/") { _, _ -> Response in html(LivePage.html) }
        }
    }

    private static func run(_ request: GraphQLRequest, service: GraphQLService, allowMutations: Bool) async -> Response {
        if !allowMutations,
            case .success(let document) = service.documents.document(for: request.query),
            document.operationType(named: request.operationName) == .mutation
        {
            var response = json(.methodNotAllowed, GraphQLService.encode(errors: [GraphQLError(message: "Mutations must be sent with POST")]))
            response.headers[.allow] = "POST"
            return response
        }
        switch await service.start(request, allowSubscriptions: false) {
        case .single(let payload):
            return json(.ok, payload)
        case .failed(let errors):
            return json(.badRequest, GraphQLService.encode(errors: errors))
        case .stream(let live):
            live.events.cancel()
            return json(.badRequest, GraphQLService.encode(errors: [GraphQLError(message: "Subscriptions are served over WebSocket")]))
        }
    }

    /// The parameters of a URL query as `application/x-www-form-urlencoded` reads them: `+` is
    /// a space (browsers, `URLSearchParams` and Python's `urlencode` write spaces so), then
    /// percent-decoding; the first of repeated names wins. Hummingbird's `queryParameters`
    /// only percent-decodes, which turned `?query={+__typename+}` into a syntax error.
    /// A name or value that is not valid percent-encoding is left out.
    static func formParameters(_ query: String?) -> [String: String] {
        var parameters: [String: String] = [:]
        guard let query else { return parameters }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = formDecode(parts[0]), parameters[name] == nil,
                let value = parts.count > 1 ? formDecode(parts[1]) : ""
            else { continue }
            parameters[name] = value
        }
        return parameters
    }

    private static func formDecode(_ text: Substring) -> String? {
        String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    static func json(_ status: HTTPResponse.Status, _ bytes: [UInt8]) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// An example subscription for GraphiQL: the first source, every column.
    static func defaultQuery(_ api: APISchema) -> String {
        guard let source = api.file.sources.first else { return "{ __typename }" }
        let columns = source.schema.columns.map(\.name).joined(separator: " ")
        return "subscription {\n  \(source.schema.name) {\n    operation\n    fields\n    data { \(columns) }\n  }\n}\n"
    }
}

/// JSON text for small hand-built bodies.
enum JSONText {
    static func string(_ value: String) -> String {
        var bytes: [UInt8] = []
        JSONWriter.writeString(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The request context of every route: Hummingbird's WebSocket context plus the peer's
/// address, read once from the channel for the connection log lines.
struct ServerRequestContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        remoteAddress = source.channel.remoteAddress
    }
}

/// Counts open WebSocket connections against `MAX_CONNECTIONS`.
final class ConnectionLimiter: Sendable {
    private let maximum: Int
    private let open = Mutex(0)

    init(maximum: Int) {
        self.maximum = maximum
    }

    /// Takes a place; `false` when every place is taken.
    func acquire() -> Bool {
        open.withLock { count in
            guard count < maximum else { return false }
            count += 1
            return true
        }
    }

    func release() {
        open.withLock { $0 -= 1 }
    }
}
