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
    ],
    dependencies: [],
    targets: [
        // Foundation only, no I/O: the Postgres wire protocol as data and state machines.
        .target(name: "PGWire", swiftSettings: swiftSettings),
        // No I/O: source caches, filters, the view graph and subscriber queues.
        .target(name: "LiveViews", swiftSettings: swiftSettings),

        .testTarget(name: "PGWireTests", dependencies: ["PGWire"], swiftSettings: swiftSettings),
        .testTarget(name: "LiveViewsTests", dependencies: ["LiveViews"], swiftSettings: swiftSettings),
    ]
)
