// swift-tools-version:6.1
// Benchmarks live in their own package so that peers used only as baselines
// never slow the main build or CI. Run them with scripts/bench* (release builds).
import PackageDescription

let package = Package(
    name: "tycostream-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "tycostream", path: ".."),
        .package(url: "https://github.com/GraphQLSwift/GraphQL.git", from: "4.3.0"),
        // Same versions as the main package; FanoutBench drives the server and its bare baseline.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // Baseline for DecodeBench only; never a dependency of the main package.
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .executableTarget(
            name: "DecodeBench",
            dependencies: [
                .product(name: "PGClient", package: "tycostream"),
                .product(name: "PGWire", package: "tycostream"),
            ]
        ),
        // The same rows as DecodeBench, through PostgresNIO's SELECT path into Swift values.
        .executableTarget(
            name: "PostgresNIODecodeBench",
            dependencies: [
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "ViewGraphBench",
            dependencies: [.product(name: "LiveViews", package: "tycostream")],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "ProjectionBench",
            dependencies: [
                .product(name: "GraphQLAPI", package: "tycostream"),
                .product(name: "LiveViews", package: "tycostream"),
                .product(name: "GraphQL", package: "GraphQL"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "IngestBench",
            dependencies: [
                .product(name: "Ingest", package: "tycostream"),
                .product(name: "LiveViews", package: "tycostream"),
                .product(name: "PGClient", package: "tycostream"),
                .product(name: "PGSim", package: "tycostream"),
                .product(name: "PGWire", package: "tycostream"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        // Fan-out, memory per connection and late-joiner snapshot through the full server
        // (PGSim → SubscribeFeed → SourceRegistry → GraphQL over WebSocket) against a bare
        // Hummingbird WebSocket broadcaster. Run with scripts/bench-fanout.
        .executableTarget(
            name: "FanoutBench",
            dependencies: [
                .product(name: "Server", package: "tycostream"),
                .product(name: "GraphQLAPI", package: "tycostream"),
                .product(name: "Ingest", package: "tycostream"),
                .product(name: "LiveViews", package: "tycostream"),
                .product(name: "PGClient", package: "tycostream"),
                .product(name: "PGSim", package: "tycostream"),
                .product(name: "PGWire", package: "tycostream"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)
