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
        .executable(name: "tycostream", targets: ["tycostream"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
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

        .executableTarget(
            name: "tycostream",
            dependencies: [
                "PGWire", "PGClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        .testTarget(name: "PGWireTests", dependencies: ["PGWire"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PGClientTests",
            dependencies: ["PGClient", "PGWire", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "tycostreamTests",
            dependencies: ["tycostream"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "LiveViewsTests", dependencies: ["LiveViews"], swiftSettings: swiftSettings),
    ]
)
