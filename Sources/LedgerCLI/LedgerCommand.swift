import ArgumentParser
import Logging
import CampaignLedger
import CampaignLedgerPostgres
import Foundation
import ProcessTuning

@main
struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "An event-sourced ledger for messaging and telephone campaigns.",
        discussion: """
            Every change of a campaign or of a contact in it is an immutable, hash-chained event; \
            contact states, campaign status and metrics are computed from them exactly as the \
            spec says, however late, duplicated or out of order provider callbacks arrive.

            The store is a directory: --store PATH, else $LEDGER_STORE, else ./ledger.lmdb.

            Start here:
              ledger import events.jsonl       append a JSON Lines history (all or nothing)
              ledger campaign list             every campaign with its status
              ledger contact show CAMPAIGN ID  one contact's state and why
              ledger verify                    check the hash chain, indexes, projections
            """,
        version: "campaign-ledger \(Ledger.version) (store format \(Ledger.storeFormat), record format \(EventRecord.version), projection rules \(BuiltInProjection.rulesID))",
        subcommands: [
            DemoCommand.self, ImportCommand.self, AppendCommand.self, ExportCommand.self,
            CampaignCommand.self, ContactCommand.self, MetricsCommand.self, HistoryCommand.self,
            ReportCommand.self, VerifyCommand.self, StatsCommand.self, BackupCommand.self,
            RebuildCommand.self, ProjectionsCommand.self, MigrateCommand.self, ForgetCommand.self, CompactCommand.self,
            ServeCommand.self, CallbacksCommand.self, FollowCommand.self, SharedLogCommand.self,
        ]
    )

    static func main() {
        ProcessMemory.keepFreedMemoryForReuse()  // a rebuild reuses the memory it frees
        main(nil)
    }
}

/// `--store`, shared by every command.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The ledger directory (default: $LEDGER_STORE, else ./ledger.lmdb).", valueName: "path"))
    var store: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A shared PostgreSQL log this store follows as a replica, postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (default: $LEDGER_LOG_URL; none: the store alone is the log). See docs/scale-out.md.",
            valueName: "url"))
    var log: String?

    /// `--log`, else `LEDGER_LOG_URL`, else nil.
    var logURL: String? {
        if let log { return log }
        if let env = ProcessInfo.processInfo.environment["LEDGER_LOG_URL"], !env.isEmpty { return env }
        return nil
    }

    var path: String {
        if let store { return store }
        if let env = ProcessInfo.processInfo.environment["LEDGER_STORE"], !env.isEmpty { return env }
        return "ledger.lmdb"
    }

    /// Opens the ledger; only commands that create a store pass `create: true`, and only
    /// commands that write (`writes: true`) catch lagging projection builds up on open.
    func open(create: Bool = false, writes: Bool = false) throws -> Ledger {
        try openLedger(path: path, create: create, writes: writes || create, logURL: logURL)
    }
}

/// `--json` on queries.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print exactly one JSON document instead of a table.")
    var json = false
}

/// `--as-of` / `--occurred-before` on queries (interchange.md §3).
struct TimeOptions: ParsableArguments {
    @Option(name: .customLong("as-of"), help: ArgumentHelp(
        "Answer from the events recorded at or before TIME (what the ledger knew then).", valueName: "time"))
    var asOf: String?

    @Option(name: .customLong("occurred-before"), help: ArgumentHelp(
        "Answer from the events whose `at` is before TIME (what had happened by then).", valueName: "time"))
    var occurredBefore: String?

    func validate() throws {
        if asOf != nil && occurredBefore != nil {
            throw ValidationError("use --as-of or --occurred-before, not both")
        }
        for (name, value) in [("--as-of", asOf), ("--occurred-before", occurredBefore)] {
            if let value, (try? RFC3339.parseNanos(value)) == nil {
                throw ValidationError("\(name) \(value): not an RFC 3339 time like 2026-11-20T09:30:02Z")
            }
        }
    }

    var filter: TimeFilter? {
        if let asOf, let t = try? RFC3339.parseNanos(asOf) { return .asOf(nanos: t) }
        if let occurredBefore, let t = try? RFC3339.parseNanos(occurredBefore) { return .occurredBefore(nanos: t) }
        return nil
    }
}

/// Runs a command body, turning ledger errors into one line on stderr and the exit status of
/// interchange.md §4.
enum CampaignLedgerCLI {}

extension CampaignLedgerCLI {
static func run(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as LedgerError {
        Terminal.error(error.description)
        throw ExitCode(error.exitCode)
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        Terminal.error("internal error: \(error)")
        throw ExitCode(70)
    }
}
}

/// Opens a ledger for a command: warnings only in its log (the command prints its own
/// summaries), unless `LEDGER_LOG_LEVEL` names another level (`info` shows the phases of a
/// rebuild, `debug` more).
func openLedger(path: String, create: Bool, writes: Bool = true, logURL: String? = nil) throws -> Ledger {
    var logger = Logger(label: "ledger")
    let level = ProcessInfo.processInfo.environment["LEDGER_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) }
    logger.logLevel = level ?? .warning
    var configuration = Ledger.Configuration(path: path, createIfMissing: create, logger: logger)
    configuration.catchUpOnOpen = writes
    if let logURL { configuration.sharedLog = try PostgresLog(url: logURL, logger: logger) }
    return try Ledger(configuration)
}
