import ArgumentParser
import CampaignLedger
import Foundation

struct AppendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Append one event given as JSON on standard input.",
        discussion: """
            Prints `appended POSITION` or `duplicate POSITION` (a re-delivery of an event already \
            in the log). An event without an id gets a random one.

            Example:
              echo '{"type":"campaign.started","campaign":"spring",' \\
                   '"at":"2026-11-20T09:00:00Z"}' | ledger append
            """)
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CampaignLedgerCLI.run {
            var data = Array(FileHandle.standardInput.readDataToEndOfFile())
            while let last = data.last, last == 0x0A || last == 0x0D || last == 0x20 { data.removeLast() }
            let parsed: ParsedLine?
            do {
                parsed = try data.withUnsafeBytes { try EventLineParser.parse($0) }
            } catch let e as InputError {
                throw LedgerError.invalidInput(e, index: nil)
            }
            guard let event = parsed?.event else {
                throw LedgerError.usage("no event on standard input; give one JSON object")
            }
            let outcome = try storeOptions.open(create: true).appendAndWait([event])[0]
            if output.json {
                Terminal.out(outcome.json.serialized())
            } else {
                Terminal.out("\(outcome.json["outcome"]?.text ?? "") \(outcome.position)")
            }
        }
    }
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write events with their assigned fields (position, recordedAt, attempt, hash).",
        discussion: """
            JSON Lines by default, importable into another ledger. --campaign with --evidence adds, \
            for every other position from the campaign's first event to the head, its digest, so \
            the campaign's events can be checked against a published checkpoint (docs/audit.md).

            Examples:
              ledger export --output all.jsonl
              ledger export --campaign spring --evidence --output spring-evidence.jsonl
              ledger export --format csv --output events.csv
            """)
    @Option(help: ArgumentHelp("Only this campaign's events.", valueName: "id")) var campaign: String?
    @Flag(help: "With --campaign: add the digests needed to check it against a checkpoint.") var evidence = false
    @Option(help: ArgumentHelp("Only events after this position.", valueName: "position")) var after: UInt64 = 0
    @Option(help: ArgumentHelp("jsonl or csv.", valueName: "format")) var format: String = "jsonl"
    @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file")) var output: String?
    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        guard ExportFormat(rawValue: format) != nil else { throw ValidationError("--format is jsonl or csv") }
        if evidence && campaign == nil { throw ValidationError("--evidence goes with --campaign") }
        if evidence && format == "csv" { throw ValidationError("--evidence needs --format jsonl") }
    }

    func run() throws {
        try CampaignLedgerCLI.run {
            let ledger = try storeOptions.open()
            let handle: FileHandle
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: nil),
                    let h = FileHandle(forWritingAtPath: output)
                else { throw LedgerError.unavailable("cannot write \(output)") }
                handle = h
            } else {
                handle = FileHandle.standardOutput
            }
            var buffer = ""
            let count = try ledger.export(
                campaign: campaign, after: after, evidence: evidence, format: ExportFormat(rawValue: format)!
            ) { line in
                buffer += line
                if buffer.utf8.count > 1 << 20 {
                    handle.write(Data(buffer.utf8))
                    buffer = ""
                    Terminal.progress("exporting…")
                }
            }
            handle.write(Data(buffer.utf8))
            Terminal.endProgress()
            if output != nil { Terminal.err("exported \(count) lines to \(output!)") }
        }
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the hash chain, every index and the projections against the log.",
        discussion: """
            Exit 0 when everything holds, 1 naming the first bad position otherwise. The last \
            line is `head POSITION HASH`: publish it as a checkpoint, and later prove the history \
            up to it is unchanged with --checkpoint POSITION:HASH. Works on a read-only copy.

            With --log (a replica of a shared PostgreSQL log, docs/scale-out.md) it also \
            recomputes the log's chain from its canonical bytes, checks each address against \
            the digest the chain covers, and requires this store's head hash to be the log's at \
            the same position (`sharedLog` in --json).
            """)
    @Option(help: ArgumentHelp("Also prove the history up to this published head is unchanged.", valueName: "position:hash"))
    var checkpoint: String?
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let checkpoint, parseCheckpoint(checkpoint) == nil {
            throw ValidationError("--checkpoint takes POSITION:HASH, e.g. 1042:9f86d0…(64 hex digits)")
        }
    }

    func run() throws {
        try CampaignLedgerCLI.run {
            let ledger = try storeOptions.open()
            let report = try ledger.verify(checkpoint: checkpoint.flatMap(parseCheckpoint)) { done, total in
                Terminal.progress("verified \(done)/\(total) events")
            }
            Terminal.endProgress()
            let log = try storeOptions.logURL.map { _ in try runAsync { try await ledger.verifyLog() } }
            if output.json {
                var json = report.json
                if let log, case .object(var members) = json {
                    members.append(("sharedLog", log.json))
                    json = .object(members)
                }
                Terminal.out(json.serialized())
            } else {
                if ledger.isReadOnly { Terminal.err("note: \(ledger.path) is read-only; opened without locking") }
                for p in report.problems.prefix(20) { Terminal.out("FAIL \(p)") }
                if report.problems.count > 20 { Terminal.out("… and \(report.problems.count - 20) more problems") }
                if report.isOK && report.projectionLag == 0 {
                    Terminal.out("ok: \(report.eventsChecked) events, hash chain, indexes and projections verified")
                } else if report.isOK {
                    Terminal.out("ok: \(report.eventsChecked) events, hash chain and indexes verified; projections not compared: the active build lags the log by \(report.projectionLag) events (a writing command such as `ledger rebuild` or `ledger append` catches it up)")
                }
                Terminal.out("head \(report.head.position) \(Hex.encode(report.head.hash))")
            }
            if let log, !output.json {
                if let problem = log.problem {
                    Terminal.out("FAIL shared log position \(problem.position): \(problem.message)")
                } else {
                    Terminal.out("ok: shared log \(log.log): \(log.events) events chained; this replica's head \(log.replicaHead.position) matches it (lag \(log.logHead.position - log.replicaHead.position))")
                    Terminal.out("log head \(log.logHead.position) \(Hex.encode(log.logHead.hash))")
                }
            }
            if let log, !log.ok { throw ExitCode(1) }
            if !report.isOK { throw ExitCode(1) }
        }
    }
}

func parseCheckpoint(_ text: String) -> (position: UInt64, hash: [UInt8])? {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2, let position = UInt64(parts[0]), parts[1].utf8.count == 64,
        let hash = Hex.decode(String(parts[1]))
    else { return nil }
    return (position, hash)
}

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Events, size, map use, readers and projection builds of the store.")
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CampaignLedgerCLI.run {
            let ledger = try storeOptions.open()
            var s = try ledger.statistics()
            var replica: ReplicaStatus?
            if storeOptions.logURL != nil {
                let status = try runAsync { try await ledger.logStatus() }
                replica = status
                if case .object(var members) = s {
                    members.append(("sharedLog", replicaJSON(status)))
                    s = .object(members)
                }
            }
            if output.json { return Terminal.out(s.serialized()) }
            var lines = ["store", "format", "readOnly", "events", "redeliveries", "fileBytes", "usedBytes", "mapBytes", "readers"]
                .map { $0.padding(toLength: 14, withPad: " ", startingAt: 0) + (s[$0]?.text ?? "–") }
            lines.append("head".padding(toLength: 14, withPad: " ", startingAt: 0) + "\(s["head"]?["position"]?.text ?? "") \(s["head"]?["hash"]?.text ?? "")")
            for b in s["builds"]?.arrayValue ?? [] {
                lines.append("build \(b["build"]?.text ?? "")".padding(toLength: 14, withPad: " ", startingAt: 0)
                    + "rules \(b["rulesId"]?.text ?? ""), checkpoint \(b["checkpoint"]?.text ?? "")" + (b["active"] == .bool(true) ? ", active" : ""))
            }
            lines.append("")
            lines.append(Terminal.table(["DATABASE", "ENTRIES", "BYTES"], (s["databases"]?.members ?? []).map {
                [$0.0, $0.1["entries"]?.text ?? "", $0.1["bytes"]?.text ?? ""]
            }))
            if let replica { lines += [""] + replicaLines(replica) }
            Terminal.out(lines.joined(separator: "\n"))
        }
    }
}

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent, compacted hot copy of the store to DEST.",
        discussion: """
            Appends go on meanwhile. DEST must not exist or be an empty directory.

            Example:
              ledger backup /backups/ledger-2026-11-30
            """)
    @Argument(help: ArgumentHelp("The new store directory.", valueName: "dest")) var destination: String
    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        try CampaignLedgerCLI.run {
            try storeOptions.open().backup(to: destination)
            Terminal.err("backup written to \(destination)")
        }
    }
}

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Upgrade a store of an older format (format 1) to this ledger's, in place.",
        discussion: """
            Format 2 keeps the event ids and the campaign and contact streams in packed
            indexes; the events, their positions, recordedAt and hashes do not change, so a
            checkpoint published before stays valid (`ledger verify --checkpoint`). The
            upgrade is one transaction: an interruption leaves format 1 whole, and it runs
            again. Any writable open of a format-1 store upgrades it the same way; this
            command does only that and says what it did. Stop processes of older ledger
            releases that use the store first. Exit 0 also when the store is already
            current.

            Example:
              ledger migrate --store /var/lib/campaigns/ledger.lmdb
            """)
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CampaignLedgerCLI.run {
            let ledger = try storeOptions.open(writes: true)
            let head = try ledger.head()
            let m = ledger.migration
            let answer = JSONOutput.object([
                ("store", .string(storeOptions.path)),
                ("migrated", .bool(m != nil && m!.events > 0)),
                ("from", m.map { .int(Int64($0.from)) } ?? .null),
                ("format", .int(Int64(Ledger.storeFormat))),
                ("events", .int(Int64(m?.events ?? 0))),
                ("seconds", .double(m?.seconds ?? 0)),
                ("head", .object([("position", .int(Int64(head.position))), ("hash", .string(Hex.encode(head.hash)))])),
            ])
            if output.json { return Terminal.out(answer.serialized()) }
            if let m, m.events > 0 {
                Terminal.out(String(format: "migrated %@ from format %u to %u: %llu events re-indexed in %.2f s (positions, recordedAt and hashes unchanged)",
                                    storeOptions.path, m.from, m.to, m.events, m.seconds))
            } else {
                Terminal.out("\(storeOptions.path) is format \(Ledger.storeFormat) already: nothing to do")
            }
            Terminal.out("head \(head.position) \(Hex.encode(head.hash))")
        }
    }
}
