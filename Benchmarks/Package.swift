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
    ],
    targets: [
        .executableTarget(
            name: "DecodeBench",
            dependencies: [
                .product(name: "PGClient", package: "tycostream"),
                .product(name: "PGWire", package: "tycostream"),
            ]
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
    ]
)
