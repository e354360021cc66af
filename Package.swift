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
        .library(name: "LiveViews", targets: ["LiveViews"]),
        .library(name: "GraphQLAPI", targets: ["GraphQLAPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/GraphQLSwift/GraphQL.git", from: "4.3.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // GraphQLSwift's own dependency; its OrderedDictionary is in GraphQLSwift's public API.
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        // Foundation only, no I/O: the Postgres wire protocol as data and state machines.
        .target(name: "PGWire", swiftSettings: swiftSettings),
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

        .testTarget(name: "PGWireTests", dependencies: ["PGWire"], swiftSettings: swiftSettings),
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
    ]
)
