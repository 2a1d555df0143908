import ArgumentParser
import CampaignLedger
import Foundation

struct RebuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Replay the whole history into a new projection build while the ledger stays live.",
        discussion: """
            First a bulk phase: the log up to the current head is read sequentially \
            and folded in memory (on up to four cores; memory grows with contacts, not \
            events), and the new build's records are written sorted. Then a catch-up \
            applies what was appended meanwhile (from this or other processes) in short \
            transactions with the build's checkpoint, so an interrupted rebuild resumes \
            where it stopped. When caught up it activates the new build atomically, \
            unless --no-activate. Old builds stay until `ledger projections drop`:
            rolling back is `ledger projections activate OLD`.

            Blue-green deployment of new projection rules (docs/operations.md):
              ledger rebuild --no-activate      # with the new binary
              (deploy the new binary to every appender)
              ledger projections activate N
            """)
    @Flag(name: .customLong("no-activate"), help: "Build, but leave the answering build as it is.")
    var noActivate = false
    @Flag(help: "Compare the new build's fingerprint with the active one's first (same rules); exit 1 if they differ.")
    var verify = false
    @Option(help: ArgumentHelp("Threads for the bulk phase, 1 to 64 (default: the cores, at most 4).", valueName: "n"))
    var threads: Int?
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let threads, !(1...64).contains(threads) { throw ValidationError("--threads must be 1 to 64") }
    }

    func run() throws {
        try CampaignLedgerCLI.run {
            let ledger = try storeOptions.open(writes: true)
            let summary = try ledger.rebuild(activate: !noActivate, verify: verify, threads: threads) { p in
                let left = Double(p.head - min(p.head, p.checkpoint))
                let eta = p.eventsPerSecond > 0 ? String(format: "%.0f s", left / p.eventsPerSecond) : "–"
                Terminal.progress("build \(p.build): \(p.checkpoint)/\(p.head) events, \(Int(p.eventsPerSecond)) events/s, ETA \(eta)")
            }
            Terminal.endProgress()
            if output.json {
                Terminal.out(summary.json.serialized())
            } else {
                var line = "build \(summary.build): \(summary.events) events in \(String(format: "%.2f", summary.seconds)) s (\(Int(summary.eventsPerSecond)) events/s)"
                if summary.resumed { line += ", resumed" }
                line += summary.activated ? ", active" : ", ready (not activated)"
                Terminal.out(line)
                if let matches = summary.fingerprintMatches {
                    Terminal.out(matches ? "fingerprint equals the active build's" : "FINGERPRINT DIFFERS from the active build's: not activated")
                }
            }
            if summary.fingerprintMatches == false { throw ExitCode(1) }
        }
    }
}

struct ProjectionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projections",
        abstract: "List, activate (roll back) or drop projection builds.",
        subcommands: [List.self, Activate.self, Drop.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every build: state (building, ready, active, stale), checkpoint, lag, size, build rate.")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try CampaignLedgerCLI.run {
                let ledger = try storeOptions.open()
                if output.json { return Terminal.out(try ledger.buildsJSON().serialized()) }
                let builds = try ledger.builds()
                Terminal.out(Terminal.table(
                    ["BUILD", "STATE", "VERSION", "CHECKPOINT", "LAG", "BYTES", "EVENTS/S", "RULES"],
                    builds.map { b in
                        ["\(b.number)", b.state.rawValue, "\(b.version)", "\(b.checkpoint)", "\(b.lag)", "\(b.bytes)",
                         b.eventsPerSecond == 0 ? "–" : "\(b.eventsPerSecond)", b.rulesID]
                    }))
            }
        }
    }

    struct Activate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make BUILD the one that answers queries (activating an older build is a rollback).")
        @Argument(help: "The build number (see `ledger projections list`).") var build: Int
        @OptionGroup var storeOptions: StoreOptions

        func run() throws {
            try CampaignLedgerCLI.run {
                try storeOptions.open(writes: true).activate(build: build)
                Terminal.err("build \(build) is active")
            }
        }
    }

    struct Drop: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a build's data (never the active one).")
        @Argument(help: "The build number (see `ledger projections list`).") var build: Int
        @OptionGroup var storeOptions: StoreOptions

        func run() throws {
            try CampaignLedgerCLI.run {
                try storeOptions.open(writes: true).drop(build: build)
                Terminal.err("build \(build) dropped")
            }
        }
    }
}
