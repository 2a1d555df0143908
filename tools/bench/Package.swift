// swift-tools-version:6.1
import PackageDescription

// The benchmark's in-process measurements (tools/bench.sh runs them; docs/performance.md). A
// package of its own, beside the C baselines and the Python peer, so that neither the library's
// users nor its tests ever build it: `swift build -c release --package-path tools/bench`.
let package = Package(
    name: "ledger-bench",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ledger-bench", targets: ["LedgerBench"]),
    ],
    dependencies: [
        // The repository's root package: the library, its demo generator and ProcessTuning.
        .package(name: "campaign-ledger", path: "../.."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .executableTarget(
            name: "LedgerBench",
            dependencies: [
                .product(name: "CampaignLedger", package: "campaign-ledger"),
                .product(name: "CampaignLedgerDemo", package: "campaign-ledger"),
                .product(name: "ProcessTuning", package: "campaign-ledger"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("InternalImportsByDefault"),
                .enableUpcomingFeature("MemberImportVisibility"),
            ]
        ),
    ]
)
