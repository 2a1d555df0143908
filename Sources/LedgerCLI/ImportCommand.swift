import ArgumentParser
import CampaignLedger
import Foundation

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Append events from a JSON Lines file (all or nothing by default).",
        discussion: """
            Every line is validated first (syntax, fields, references, lifecycle rules, in file \
            order); if any is bad, nothing is appended, each bad line is listed as \
            FILE:LINE: field: message, and the exit status is 65. Then the events are appended in \
            transactions of --batch-size events (10 000 by default). Re-running an import appends nothing twice: events \
            with an id are deduplicated, and lines without one get an id derived from their \
            content and how many identical lines came before.

            Examples:
              ledger import history.jsonl
              ledger import - < callbacks.jsonl
              ledger import history.jsonl --skip-invalid --rejects bad.jsonl
            """)

    @Argument(help: ArgumentHelp("The JSON Lines file, or - for standard input.", valueName: "file"))
    var file: String

    @Flag(name: .long, help: "Validate against the store and append nothing; the summary counts what would be appended.")
    var dryRun = false

    @Flag(name: .long, help: "Append the good lines and write the bad ones to the rejects file.")
    var skipInvalid = false

    @Flag(name: .long, help: "Rebuild an empty store from an export, keeping positions, recordedAt and hashes (each checked).")
    var restore = false

    @Option(name: .long, help: ArgumentHelp(
        "Where --skip-invalid writes rejected lines (default: FILE.rejects.jsonl).", valueName: "file"))
    var rejects: String?

    @Option(name: .long, help: ArgumentHelp(
        "Events per transaction, 1 to 100000 (default 10000). Larger batches write far fewer bytes to disk and import a large file sooner, but other writers of the store wait for each batch; smaller ones commit sooner.", valueName: "n"))
    var batchSize = 10_000

    @OptionGroup var storeOptions: StoreOptions

    @Flag(name: .long, help: "Print the summary as one JSON document on stdout.")
    var json = false

    func validate() throws {
        if rejects != nil && !skipInvalid { throw ValidationError("--rejects goes with --skip-invalid") }
        if restore && skipInvalid { throw ValidationError("--restore is all or nothing: it cannot --skip-invalid") }
        if !(1...100_000).contains(batchSize) { throw ValidationError("--batch-size must be 1 to 100000") }
    }

    func run() throws {
        try CampaignLedgerCLI.run {
            let data: [UInt8]
            if file == "-" {
                data = Array(FileHandle.standardInput.readDataToEndOfFile())
            } else {
                guard let contents = importFileBytes(file) else {
                    throw LedgerError.notFound("cannot read \(file): no such file or not readable")
                }
                data = contents
            }
            let ledger = try storeOptions.open(create: true)
            let name = file == "-" ? "stdin" : file
            var options = ImportOptions(dryRun: dryRun, skipInvalid: skipInvalid, restore: restore)
            options.batchSize = batchSize
            let summary = try ledger.importLines(data, options: options) { p in
                Terminal.progress("\(p.phase.rawValue) \(p.done)/\(p.total) lines")
            }
            Terminal.endProgress()
            if !summary.rejected.isEmpty {
                if skipInvalid && !dryRun {
                    let path = rejects ?? (file == "-" ? "stdin.rejects.jsonl" : file + ".rejects.jsonl")
                    try writeRejects(summary.rejected, to: path)
                    Terminal.err("\(summary.rejected.count) rejected lines written to \(path)")
                } else {
                    for e in summary.rejected.prefix(100) { Terminal.err("\(name):\(e.line): \(e.summary)") }
                    if summary.rejected.count > 100 {
                        Terminal.err("… and \(summary.rejected.count - 100) more bad lines")
                    }
                }
            }
            if let stop = summary.stoppedAt {
                Terminal.err("\(name):\(stop.line): \(stop.summary)")
                Terminal.err("stopped: another writer made line \(stop.line) invalid; the batches before it are committed, re-run to continue")
            }
            report(summary, name: name)
            if summary.stoppedAt != nil || (!summary.rejected.isEmpty && !skipInvalid) {
                if !skipInvalid && !dryRun && summary.stoppedAt == nil {
                    Terminal.err("nothing appended: fix the lines above, or use --skip-invalid")
                }
                throw ExitCode(65)
            }
        }
    }

    private func report(_ s: ImportSummary, name: String) {
        let rate = Int(s.eventsPerSecond.rounded())
        if json {
            Terminal.out(JSONOutput.object([
                ("file", .string(name)), ("lines", .int(Int64(s.lines))),
                ("appended", .int(Int64(s.appended))), ("duplicates", .int(Int64(s.duplicates))),
                ("rejected", .int(Int64(s.rejected.count))), ("dryRun", .bool(dryRun)),
                ("seconds", .double(s.seconds)), ("eventsPerSecond", .int(Int64(rate))),
            ]).serialized())
        }
        let took = " in \(String(format: "%.2f", s.seconds)) s"
        if dryRun {
            Terminal.err(
                "checked \(name) (dry run, nothing written): \(s.appended) would be appended, \(s.duplicates) duplicates, \(s.rejected.count) rejected"
                    + took)
        } else {
            Terminal.err(
                "imported \(name): \(s.appended) appended, \(s.duplicates) duplicates, \(s.rejected.count) rejected"
                    + took + " (\(rate) events/s)")
        }
    }

    /// One `{"line": N, "error": "…", "text": "…"}` per rejected line: nothing given is lost. A
    /// line that is not valid UTF-8 cannot be a JSON string as it is: its `text` is the line
    /// decoded with U+FFFD for each invalid sequence (the shape interchange.md promises), and
    /// `"textBase64"` beside it carries its exact bytes.
    private func writeRejects(_ rejected: [LineError], to path: String) throws {
        var out = ""
        for e in rejected {
            var members: [(String, JSONOutput)] = [
                ("line", .int(Int64(e.line))), ("error", .string(e.summary)),
                ("text", .string(String(decoding: e.text, as: UTF8.self))),
            ]
            if String(validating: e.text, as: UTF8.self) == nil {
                members.append(("textBase64", .string(Data(e.text).base64EncodedString())))
            }
            out += JSONOutput.object(members).serialized() + "\n"
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(out.utf8)) else {
            throw LedgerError.unavailable("cannot write the rejects file \(path)")
        }
    }
}
