// swift-tools-version:6.1
import PackageDescription

// Benchmarks live in their own package so the main package carries no benchmark code.
// Run with scripts/bench-viewgraph (release build).
let package = Package(
    name: "Benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "tycostream", path: "..")],
    targets: [
        .executableTarget(
            name: "ViewGraphBench",
            dependencies: [.product(name: "LiveViews", package: "tycostream")],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
    ]
)
