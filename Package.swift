// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "tycostream",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "PGWire", targets: ["PGWire"]),
        .library(name: "PGClient", targets: ["PGClient"]),
        .library(name: "LiveViews", targets: ["LiveViews"]),
        .library(name: "GraphQLAPI", targets: ["GraphQLAPI"]),
        .library(name: "Ingest", targets: ["Ingest"]),
        .library(name: "PGSim", targets: ["PGSim"]),
        .library(name: "Server", targets: ["Server"]),
        .library(name: "Webhooks", targets: ["Webhooks"]),
        .executable(name: "tycostream", targets: ["tycostream"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/GraphQLSwift/GraphQL.git", from: "4.3.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // GraphQLSwift's own dependency; its OrderedDictionary is in GraphQLSwift's public API.
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // Foundation only, no I/O: the Postgres wire protocol as data and state machines.
        .target(name: "PGWire", swiftSettings: swiftSettings),
        // The SwiftNIO transport that drives PGWire: connect, TLS, authenticate, query, COPY OUT, cancel.
        .target(
            name: "PGClient",
            dependencies: [
                "PGWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // No I/O: source caches, filters, the view graph and subscriber queues.
        .target(name: "LiveViews", swiftSettings: swiftSettings),
        // The GraphQL API generated from the YAML schema file: schema, filters, projections, WS protocols.
        .target(
            name: "GraphQLAPI",
            dependencies: [
                "LiveViews",
                .product(name: "GraphQL", package: "GraphQL"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        // One resilient SUBSCRIBE per source: query building, row decoding, batching, reconnect and resume.
        .target(
            name: "Ingest",
            dependencies: ["PGWire", "PGClient", "LiveViews"],
            swiftSettings: swiftSettings
        ),
        // A Postgres-wire server that behaves like Materialize for tests and the demo; capture and replay.
        .target(
            name: "PGSim",
            dependencies: [
                "PGWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // Trigger delivery: signing, retries with backoff, the durable outbox, egress safety.
        .target(
            name: "Webhooks",
            dependencies: [
                "LiveViews", "PGWire",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The only module that knows Hummingbird: HTTP and WebSocket routes, configuration, lifecycle.
        .target(
            name: "Server",
            dependencies: [
                "GraphQLAPI", "LiveViews", "Ingest", "PGClient", "Webhooks",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSCompression", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GraphQL", package: "GraphQL"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tycostream",
            dependencies: [
                "PGWire", "PGClient", "PGSim", "Server", "GraphQLAPI", "LiveViews", "Ingest", "Webhooks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),

        .testTarget(name: "PGWireTests", dependencies: ["PGWire"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PGClientTests",
            dependencies: ["PGClient", "PGWire", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "LiveViewsTests", dependencies: ["LiveViews"], swiftSettings: swiftSettings),
        .testTarget(
            name: "GraphQLAPITests",
            dependencies: [
                "GraphQLAPI", "LiveViews",
                .product(name: "GraphQL", package: "GraphQL"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            resources: [.copy("Snapshots")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IngestTests",
            dependencies: ["Ingest", "PGSim", "PGClient", "PGWire", "LiveViews"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PGSimTests",
            dependencies: ["PGSim", "PGClient", "PGWire", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "GraphQLAPI", "LiveViews", "PGSim", "PGClient", "Webhooks",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WebhooksTests",
            dependencies: [
                "Webhooks", "LiveViews", "PGWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "tycostreamTests", dependencies: ["tycostream"], swiftSettings: swiftSettings),
    ]
)
