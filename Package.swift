// swift-tools-version:6.1
import PackageDescription

// Every Swift target, tests included, builds with these: `any` spelled on existentials, imports
// internal unless marked `public import`, and a member visible only where its module is imported.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "campaign-ledger",
    platforms: [.macOS(.v15)],
    products: [
        // What an embedder adds: the ledger alone.
        .library(name: "CampaignLedger", targets: ["CampaignLedger"]),
        // Each its own product, for whoever wants it besides the ledger: the demo history
        // generator, the HTML report, and the process memory setting of an executable. The
        // benchmark package (tools/bench), which sees only products, uses the first and last.
        .library(name: "CampaignLedgerDemo", targets: ["CampaignLedgerDemo"]),
        .library(name: "CampaignLedgerReport", targets: ["CampaignLedgerReport"]),
        .library(name: "ProcessTuning", targets: ["ProcessTuning"]),
        // The shared PostgreSQL log behind `Ledger.Configuration.sharedLog` (docs/scale-out.md).
        .library(name: "CampaignLedgerPostgres", targets: ["CampaignLedgerPostgres"]),
        .executable(name: "ledger", targets: ["LedgerCLI"]),
        // The ledger for any language: a shared library with a C API (include/campaign_ledger.h);
        // tools/build_clib.sh makes it self-contained (docs/embedding.md).
        .library(name: "CampaignLedgerC", type: .dynamic, targets: ["CampaignLedgerC"]),
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
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
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
        // The shared PostgreSQL log (docs/scale-out.md): PostgreSQL as the authority for positions,
        // ids and the hash chain, the local LMDB store a replica that follows it. Its own target,
        // so the embedded library carries no PostgreSQL dependency.
        .target(
            name: "CampaignLedgerPostgres",
            dependencies: [
                "CampaignLedger",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The C API over the library: `@c` functions, opaque handles, JSON in and out. Its header,
        // include/campaign_ledger.h, is for C users (SwiftPM does not read it).
        .target(
            name: "CampaignLedgerC",
            dependencies: ["CampaignLedger", .product(name: "Logging", package: "swift-log")],
            exclude: ["include"],
            swiftSettings: strict
        ),
        // A deterministic, realistic history generator (`ledger demo`, tests, the benchmark).
        .target(
            name: "CampaignLedgerDemo",
            dependencies: ["CampaignLedger"],
            swiftSettings: strict
        ),
        // The self-contained HTML campaign report (`ledger report`).
        .target(
            name: "CampaignLedgerReport",
            dependencies: ["CampaignLedger"],
            swiftSettings: strict
        ),
        // glibc's <malloc.h>, which Swift's Glibc module leaves out.
        .systemLibrary(name: "CMalloc"),
        // Process-wide settings an executable applies at start (glibc's malloc); not the library's.
        .target(
            name: "ProcessTuning",
            dependencies: ["CMalloc"],
            swiftSettings: strict
        ),
        // `ledger serve`: the ledger over HTTP (Hummingbird), a client of the library like the CLI.
        .target(
            name: "LedgerServer",
            dependencies: [
                "CampaignLedger",
                "CampaignLedgerReport",
                .product(name: "Hummingbird", package: "hummingbird"),
                // `URI`, which QueryParameters reads a request target with.
                .product(name: "HummingbirdCore", package: "hummingbird"),
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
            swiftSettings: strict
        ),
        // The `ledger` command: a thin client of the library.
        .executableTarget(
            name: "LedgerCLI",
            dependencies: [
                "CampaignLedger",
                "CampaignLedgerDemo",
                "CampaignLedgerReport",
                "ProcessTuning",
                "LedgerServer",
                "CampaignLedgerPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The coverage-guided fuzz targets and their invariants (Tests/Fuzz, docs/reliability.md).
        .target(
            name: "LedgerFuzzTargets",
            dependencies: [
                "CampaignLedger",
                "LedgerServer",
                // Signs the webhooks the callback targets post, as the providers do.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Tests/Fuzz/Targets",
            swiftSettings: strict
        ),
        // Their driver: libFuzzer's entry points when built by `tools/fuzz.sh --libfuzzer`
        // (`-sanitize=fuzzer,address -D LEDGER_LIBFUZZER`), else a replayer of saved inputs.
        .executableTarget(
            name: "LedgerFuzz",
            dependencies: ["LedgerFuzzTargets"],
            path: "Tests/Fuzz/Driver",
            swiftSettings: strict
        ),
        .testTarget(
            name: "LMDBTests",
            dependencies: ["LMDB"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CampaignLedgerTests",
            dependencies: [
                "CampaignLedger",
                "CampaignLedgerDemo",
                "LMDB",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict
        ),
        // The documented embedding examples (README, docs/custom-projections.md), compiled as an
        // embedder's code is: against the public API only, without the package's `package` ones.
        .testTarget(
            name: "EmbeddingTests",
            dependencies: ["CampaignLedger", .product(name: "Logging", package: "swift-log")],
            packageAccess: false,
            swiftSettings: strict
        ),
        .testTarget(
            name: "CampaignLedgerDemoTests",
            dependencies: ["CampaignLedgerDemo", "CampaignLedger"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CampaignLedgerReportTests",
            dependencies: ["CampaignLedgerReport", "CampaignLedger"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LedgerCLITests",
            // The log conformance suite opens ledgers on both logs in process.
            dependencies: ["CampaignLedger", "CampaignLedgerPostgres"],
            swiftSettings: strict
        ),
        // The fuzz corpus replayed through the targets, and short libFuzzer runs of each.
        .testTarget(
            name: "LedgerFuzzTests",
            dependencies: ["LedgerFuzzTargets"],
            swiftSettings: strict
        ),
        // The C library from C (gcc, valgrind) and from Python (the package in Sources/python,
        // pip-installed into a venv): runs the built libCampaignLedgerC.so and `ledger`.
        .testTarget(
            name: "CLibraryTests",
            exclude: ["c", "valgrind.supp"],
            swiftSettings: strict
        ),
        // Runs the built `ledger serve` on a loopback port and talks HTTP to it.
        .testTarget(
            name: "LedgerServerTests",
            dependencies: [
                "CampaignLedger",
                // A generated campaign history, turned into provider webhooks.
                "CampaignLedgerDemo",
                // The route table, held to the OpenAPI document and the authorization matrix.
                "LedgerServer",
                // Signs the provider webhooks the tests post, independently of the server's code.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
    ]
)
