import ArgumentParser
import CampaignLedger
import Foundation

struct CallbacksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "callbacks",
        abstract: "Provider callbacks: replay captured webhooks, list and drop parked ones.",
        discussion: """
            Provider webhooks (Meta WhatsApp, Twilio, Infobip, Vonage) reach the ledger through \
            `ledger serve --providers FILE` (POST /v1/callbacks/PROVIDER) or, captured elsewhere, \
            through `ledger callbacks import`. A callback whose message id no event has recorded \
            yet is parked in the store and applied when one does; see docs/callbacks.md.
            """,
        subcommands: [CallbacksImportCommand.self, CallbacksParkedCommand.self, CallbacksDropCommand.self])
}

struct CallbacksImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Replay a provider's webhook bodies, one request body per line.",
        discussion: """
            Each line is one request body exactly as the provider sent it (Meta, Infobip and \
            Vonage JSON; Twilio's form, e.g. MessageSid=SM…&MessageStatus=delivered). Signatures \
            are not checked: the file is trusted as the operator's own capture. Every line is \
            parsed first; if one is not the provider's format, nothing is appended, each bad line \
            is listed as FILE:LINE: message, and the exit status is 65. Then each status is \
            appended, or parked when no event records its message id yet (exit 0 either way). \
            Re-running the import appends nothing twice: event ids come from the provider's \
            dedupe keys.

            Examples:
              ledger callbacks import --provider meta meta-webhooks.jsonl
              ledger callbacks import --provider twilio \\
                --url '/v1/callbacks/twilio?campaign=spring&contact=c-17' forms.txt
            """)

    @Option(help: ArgumentHelp("meta, twilio, infobip or vonage.", valueName: "provider"))
    var provider: String

    @Option(help: ArgumentHelp(
        "The URL the provider called (Twilio: its query carries campaign, contact and attempt).", valueName: "url"))
    var url: String?

    @Argument(help: ArgumentHelp("The file, one request body per line, or - for standard input.", valueName: "file"))
    var file: String

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard CallbackProvider(rawValue: provider) != nil else {
            throw ValidationError("--provider is one of \(CallbackProvider.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        try CampaignLedgerCLI.run {
            let provider = CallbackProvider(rawValue: provider)!
            let data: Data
            if file == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                guard let contents = FileManager.default.contents(atPath: file) else {
                    throw LedgerError.usage("cannot read \(file)")
                }
                data = contents
            }
            var statuses: [[ProviderStatus]] = []
            var bad: [String] = []
            for (index, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
                var body = Array(line)
                if body.last == 0x0D { body.removeLast() }
                if body.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                do {
                    let request = CallbackRequest(body: body, url: url ?? "/v1/callbacks/\(provider.rawValue)")
                    statuses.append(try ProviderCallbacks.unauthenticatedStatuses(provider: provider, request: request))
                } catch {
                    bad.append("\(file == "-" ? "<stdin>" : file):\(index + 1): \((error as? CallbackError)?.description ?? "\(error)")")
                }
            }
            if !bad.isEmpty {
                for line in bad { Terminal.error(line) }
                throw LedgerError.invalidInput(
                    InputError(field: "line", message: "\(bad.count) line(s) are not \(provider.rawValue) callbacks; nothing was appended"),
                    index: nil)
            }
            let ledger = try storeOptions.open(create: storeOptions.logURL != nil, writes: true)
            var outcomes: [CallbackOutcome] = []
            var batch: [ProviderStatus] = []
            for request in statuses {
                batch += request
                if batch.count >= 5_000 {
                    outcomes += try ledger.receiveAndWait(batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            if !batch.isEmpty { outcomes += try ledger.receiveAndWait(batch) }
            var counts = (appended: 0, duplicates: 0, parked: 0)
            for o in outcomes {
                switch o {
                case .appended: counts.appended += 1
                case .duplicate: counts.duplicates += 1
                case .parked: counts.parked += 1
                }
            }
            if output.json {
                Terminal.out(JSONOutput.object([
                    ("requests", .int(Int64(statuses.count))), ("statuses", .int(Int64(outcomes.count))),
                    ("appended", .int(Int64(counts.appended))), ("duplicates", .int(Int64(counts.duplicates))),
                    ("parked", .int(Int64(counts.parked))), ("outcomes", .array(outcomes.map(\.json))),
                ]).serialized())
            } else {
                Terminal.out(
                    "\(statuses.count) requests, \(outcomes.count) statuses: \(counts.appended) appended, \(counts.duplicates) duplicates, \(counts.parked) parked")
                if counts.parked > 0 { Terminal.out("see them with: ledger callbacks parked") }
            }
        }
    }
}

struct CallbacksParkedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parked",
        abstract: "List the parked callbacks: received, not yet appended, and why.",
        discussion: """
            A callback is parked when no event records its message id yet (it is applied, in the \
            same transaction, when one does), or when its status cannot be mapped or was rejected \
            (the reason says which). Parked callbacks expire only by `ledger callbacks drop`.

            Example:
              ledger callbacks parked --json
            """)
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CampaignLedgerCLI.run {
            let ledger = try storeOptions.open()
            if output.json {
                Terminal.out(try ledger.parkedCallbacksJSON().serialized())
                return
            }
            let parked = try ledger.parkedCallbacks()
            if parked.isEmpty {
                Terminal.out("no parked callbacks")
                return
            }
            var rows: [[String]] = []
            for p in parked {
                rows.append([
                    RFC3339.formatMicros(p.receivedAtMicros), p.status.provider.rawValue, p.status.messageID ?? "-",
                    p.status.providerStatus, p.reason,
                ])
            }
            Terminal.out(Terminal.table(["RECEIVED", "PROVIDER", "MESSAGE", "STATUS", "WHY"], rows))
        }
    }
}

struct CallbacksDropCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drop",
        abstract: "Drop parked callbacks received more than an age ago.",
        discussion: """
            The only way parked callbacks expire. AGE is a whole number and a unit: s, m, h, d \
            (days) or w (weeks). Meta retries for up to 7 days, so a receipt older than that whose \
            message id no event records will not be applied.

            Example:
              ledger callbacks drop --older-than 30d
            """)
    @Option(name: .customLong("older-than"), help: ArgumentHelp("e.g. 7d, 36h, 2w.", valueName: "age"))
    var olderThan: String
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard ParkedCallback.age(olderThan) != nil else {
            throw ValidationError("--older-than takes an age like 7d or 36h (units s, m, h, d, w)")
        }
    }

    func run() throws {
        try CampaignLedgerCLI.run {
            let ledger = try storeOptions.open(writes: true)
            let dropped = try ledger.dropParkedCallbacks(olderThan: ParkedCallback.age(olderThan)!)
            if output.json {
                Terminal.out(JSONOutput.object([("dropped", .int(Int64(dropped)))]).serialized())
            } else {
                Terminal.out("dropped \(dropped) parked callback\(dropped == 1 ? "" : "s")")
            }
        }
    }
}
