import ArgumentParser
import CampaignLedger
import CampaignLedgerPostgres
import Foundation
import Logging

struct FollowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "follow",
        abstract: "Keep this store a read-only replica of a shared PostgreSQL log.",
        discussion: """
            Catches up with the log, then applies every event appended to it by any host, at the \
            same position, its hash checked against this store's chain (docs/scale-out.md). Wakes \
            on PostgreSQL's NOTIFY, polls every --poll seconds as a fallback, and waits out an \
            unreachable log. Stops with exit 70 naming the position where the log and this store \
            disagree. Queries on the store answer meanwhile (from another process). Provider \
            callbacks parked in this store (a host that also receives them) whose message id an \
            applied event records are then appended through the log (docs/scale-out.md).

            Example (an auditor's or a reporting host's replica):
              ledger follow --log postgres://ledger@db:5432/ledger --store /var/lib/replica
              ledger follow --once --log $URL --store /var/lib/replica   # catch up, exit
            """)
    @Flag(help: "Catch up with the log and exit, instead of following it.")
    var once = false
    @Option(help: ArgumentHelp("Seconds between polls of the log when no notification comes (default 1).", valueName: "seconds"))
    var poll: Double = 1
    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if !(poll > 0) { throw ValidationError("--poll must be positive") }
    }

    func run() throws {
        try CampaignLedgerCLI.run {
            guard storeOptions.logURL != nil else {
                throw LedgerError.usage("ledger follow needs a shared log: --log postgres://… (or set LEDGER_LOG_URL)")
            }
            let ledger = try storeOptions.open(create: true, writes: true)
            if once {
                let applied = try runAsync { try await ledger.catchUpWithLog() }
                let head = try ledger.head()
                Terminal.out("applied \(applied) events; head \(head.position) \(Hex.encode(head.hash))")
                return
            }
            let interval = Duration.milliseconds(Int64(poll * 1000))
            try runAsync {
                try await ledger.followLog(
                    pollInterval: interval,
                    applied: { head in Terminal.err("applied up to \(head.position) \(Hex.encode(head.hash))") },
                    unreachable: { error in Terminal.err("waiting: \(error.description)") })
            }
        }
    }
}

struct SharedLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "The shared PostgreSQL log: push a store into it, see a replica's lag.",
        subcommands: [PushCommand.self, StatusCommand.self])

    struct PushCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "push",
            abstract: "Move this store's history into an empty shared log, keeping positions, recordedAt and hashes.",
            discussion: """
                The log must be empty or hold a prefix of this store (a push that stopped is \
                run again). Stop every appender first: a log that moves meanwhile stops the push \
                (exit 69). Afterwards give every host --log; this store is a replica like the \
                others. The way back: `ledger export` on any replica, `ledger import --restore`.

                Example:
                  ledger log push --log postgres://ledger@db:5432/ledger --store /var/lib/ledger
                """)
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try CampaignLedgerCLI.run {
                guard let url = storeOptions.logURL else {
                    throw LedgerError.usage("ledger log push needs a shared log: --log postgres://… (or set LEDGER_LOG_URL)")
                }
                let ledger = try storeOptions.open()
                let log = try PostgresLog(url: url)
                let pushed = try runAsync {
                    try await ledger.push(to: log) { done, total in Terminal.progress("pushed \(done)/\(total) events") }
                }
                Terminal.endProgress()
                let head = try runAsync { try await log.head() }
                if output.json {
                    Terminal.out(JSONOutput.object([
                        ("pushed", .int(Int64(pushed))), ("log", .string(log.name)),
                        ("head", .object([("position", .int(Int64(head.position))), ("hash", .string(Hex.encode(head.hash)))])),
                    ]).serialized())
                } else {
                    Terminal.out("pushed \(pushed) events to \(log.name)")
                    Terminal.out("head \(head.position) \(Hex.encode(head.hash))")
                }
            }
        }
    }

    struct StatusCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "The shared log's head beside this replica's, and the lag.")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try CampaignLedgerCLI.run {
                let ledger = try storeOptions.open()
                let status = try runAsync { try await ledger.logStatus() }
                if output.json { return Terminal.out(replicaJSON(status).serialized()) }
                Terminal.out(replicaLines(status).joined(separator: "\n"))
            }
        }
    }
}

func replicaJSON(_ s: ReplicaStatus) -> JSONOutput {
    .object([
        ("log", .string(s.log)),
        ("logHead", .object([("position", .int(Int64(s.logHead.position))), ("hash", .string(Hex.encode(s.logHead.hash)))])),
        ("replicaHead", .object([("position", .int(Int64(s.replicaHead.position))), ("hash", .string(Hex.encode(s.replicaHead.hash)))])),
        ("lag", .int(Int64(s.lag))),
    ])
}

func replicaLines(_ s: ReplicaStatus) -> [String] {
    [
        "log".padding(toLength: 14, withPad: " ", startingAt: 0) + s.log,
        "log head".padding(toLength: 14, withPad: " ", startingAt: 0) + "\(s.logHead.position) \(Hex.encode(s.logHead.hash))",
        "replica head".padding(toLength: 14, withPad: " ", startingAt: 0) + "\(s.replicaHead.position) \(Hex.encode(s.replicaHead.hash))",
        "lag".padding(toLength: 14, withPad: " ", startingAt: 0) + "\(s.lag) events",
    ]
}

/// Runs async work from a synchronous command (the main thread waits; the work runs on Swift's
/// pool).
func runAsync<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let result = LockedResult<T>()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do { result.set(.success(try await body())) } catch { result.set(.failure(error)) }
        done.signal()
    }
    done.wait()
    return try result.get()
}

private final class LockedResult<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<T, any Error>?
    func set(_ r: Result<T, any Error>) { lock.withLock { value = r } }
    func get() throws -> T { try lock.withLock { value! }.get() }
}

/// `ledger serve --log`: the replica follows the log in the background; a disagreement is logged
/// and ends the following (appends then fail: the log refuses a replica that differs).
func startFollowing(_ ledger: Ledger, logger: Logger) {
    Task.detached {
        do {
            try await ledger.followLog(
                applied: { head in logger.debug("applied the shared log up to \(head.position)") },
                unreachable: { error in logger.warning("\(error.description)") })
        } catch {
            logger.error("stopped following the shared log: \(error)")
        }
    }
}
