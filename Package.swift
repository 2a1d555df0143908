// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "campaign-ledger",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CampaignLedger", targets: ["CampaignLedger"]),
        .executable(name: "ledger", targets: ["LedgerCLI"]),
        .executable(name: "ledger-bench", targets: ["LedgerBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // The C library: Debian's liblmdb-dev (0.9.24). Only the LMDB wrapper imports it.
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        // A safe Swift wrapper over LMDB: environments, ~Copyable transactions, cursors. No domain.
        .target(
            name: "LMDB",
            dependencies: ["CLMDB"],
            swiftSettings: strict
        ),
        // Declarations of C the library calls that no Swift module declares (see its header).
        .target(name: "CLedgerSupport"),
        // The embeddable ledger: events, the log, the domain rules, projections, audit.
        .target(
            name: "CampaignLedger",
            dependencies: [
                "LMDB",
                "CLedgerSupport",
                // Links swift-crypto's BoringSSL, whose one-shot SHA-256 CLedgerSupport declares.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // `ledger serve`: the ledger over HTTP (Hummingbird), a client of the library like the CLI.
        .target(
            name: "LedgerServer",
            dependencies: [
                "CampaignLedger",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict + [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        // The `ledger` command: a thin client of the library.
        .executableTarget(
            name: "LedgerCLI",
            dependencies: [
                "CampaignLedger",
                "LedgerServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The benchmark's in-process measurements (tools/bench.sh runs it; docs/performance.md).
        .executableTarget(
            name: "LedgerBench",
            dependencies: [
                "CampaignLedger",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LMDBTests",
            dependencies: ["LMDB"]
        ),
        .testTarget(
            name: "CampaignLedgerTests",
            dependencies: [
                "CampaignLedger",
                "LMDB",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "LedgerCLITests",
            dependencies: ["CampaignLedger"]
        ),
        // Runs the built `ledger serve` on a loopback port and talks HTTP to it.
        .testTarget(
            name: "LedgerServerTests",
            dependencies: [
                "CampaignLedger",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
)
