import ArgumentParser
import CampaignLedger
import CampaignLedgerDemo
import Foundation

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Generate a realistic campaign history into a new store and tour it.",
        discussion: """
            Never reads $LEDGER_STORE: without --store the demo writes a new store in a fresh \
            temporary directory and prints its path; a given --store must not exist or be an \
            empty directory (else exit 64). The history is deterministic for a seed (docs/demo.md) \
            and includes a dispute case: contact c-0001 of campaign spring-promo, whose delivery \
            receipt arrived after the campaign had finished.

            Examples:
              ledger demo
              ledger demo --store /tmp/demo.lmdb --seed 7 --campaigns 12 --contacts 1000
            """)
    @Option(help: ArgumentHelp("Where to create the store (absent or an empty directory).", valueName: "path"))
    var store: String?
    @Option(help: ArgumentHelp("The generator's seed: the same seed gives the same history.", valueName: "n"))
    var seed: UInt64 = 42
    @Option(help: ArgumentHelp("How many campaigns (channels take turns).", valueName: "n"))
    var campaigns = 6
    @Option(help: ArgumentHelp("Contacts per campaign.", valueName: "n"))
    var contacts = 200

    func validate() throws {
        if campaigns < 1 { throw ValidationError("--campaigns must be at least 1 (the tour follows campaign spring-promo)") }
        if contacts < 1 { throw ValidationError("--contacts must be at least 1 (the tour follows contact c-0001)") }
    }

    func run() throws {
        try CampaignLedgerCLI.run {
            let path = try newStore()
            let tour = try DemoTour(
                path: path, generator: HistoryGenerator(seed: seed, campaigns: campaigns, contactsPerCampaign: contacts))
            try tour.run()
        }
    }

    /// The store directory: `--store` (absent or empty), else a fresh temporary directory.
    private func newStore() throws -> String {
        let fm = FileManager.default
        guard let store else {
            var template = Array((fm.temporaryDirectory.path + "/ledger-demo-XXXXXX").utf8CString)
            guard let made = mkdtemp(&template) else {
                throw LedgerError.unavailable("cannot create a temporary directory for the demo store; pass --store PATH")
            }
            return String(cString: made)
        }
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: store, isDirectory: &isDirectory) {
            guard isDirectory.boolValue, (try fm.contentsOfDirectory(atPath: store)).isEmpty else {
                throw LedgerError.usage(
                    "\(store) exists and is not an empty directory; `ledger demo` only writes a new store: give an absent path or an empty directory, or omit --store")
            }
        } else {
            do {
                try fm.createDirectory(atPath: store, withIntermediateDirectories: true)
            } catch {
                throw LedgerError.unavailable("cannot create \(store): \(error.localizedDescription)")
            }
        }
        return store
    }
}

/// Imports the demo history and prints the tour, section by section, from the library's answers.
private struct DemoTour {
    let path: String
    let ledger: Ledger
    let campaign = HistoryGenerator.storyCampaign
    let contact = HistoryGenerator.storyContact
    /// What the two imports did.
    let summaries: [ImportSummary]

    /// Generates the history and imports it in two parts, split at the story's late delivery
    /// receipt, so that the ledger recorded the receipt later than everything before it: that
    /// gap is what `--as-of` looks back across.
    init(path: String, generator: HistoryGenerator) throws {
        self.path = path
        let lateReceiptID = HistoryGenerator.storyEventIDs.last!
        var parts: [[UInt8]] = [[], []]
        var part = 0
        generator.generate { line in
            if part == 0, line.contains(lateReceiptID) { part = 1 }
            parts[part].append(contentsOf: line.utf8)
            parts[part].append(0x0A)
        }
        ledger = try openLedger(path: path, create: true)
        var summaries: [ImportSummary] = []
        for (i, data) in parts.enumerated() where !data.isEmpty {
            // recordedAt never decreases; a millisecond apart the two parts never share it.
            if i > 0 { Thread.sleep(forTimeInterval: 0.002) }
            let summary = try ledger.importLines(data)
            if let bad = summary.rejected.first ?? summary.stoppedAt {
                throw LedgerError.internal("the demo history has an invalid line \(bad.line): \(bad.summary)")
            }
            summaries.append(summary)
        }
        self.summaries = summaries
    }

    private func section(_ number: Int, _ title: String, _ command: String, _ explanation: String) {
        Terminal.out("\n== \(number). \(title)" + (command.isEmpty ? "" : "\n$ \(command)") + "\n")
        if !explanation.isEmpty { Terminal.out(explanation + "\n") }
    }

    private var storeFlag: String { "--store \(path)" }

    /// Prints the tour; errors reach `CampaignLedgerCLI.run`'s one-line handler.
    func run() throws {
        let appended = summaries.reduce(0) { $0 + $1.appended }
        let duplicates = summaries.reduce(0) { $0 + $1.duplicates }
        Terminal.out("""
            ledger demo: a new store at \(path)
            imported \(appended) events (\(duplicates) re-delivered callbacks skipped as duplicates) in \(summaries.count) parts
            """)

        section(1, "Campaigns", "ledger campaign list \(storeFlag)",
                "Each campaign's status is computed from its events: completed if any contact was reached, failed otherwise.")
        Terminal.out(campaignListText(try ledger.campaignListJSON()))

        section(2, "One campaign's metrics", "ledger campaign show \(campaign) \(storeFlag)",
                "Counts are of contacts; rates and provider-time timings come from the same fold of the log.")
        Terminal.out(campaignShowText(try ledger.campaignJSON(campaign)))

        section(3, "A disputed contact", "ledger contact show \(campaign) \(contact) \(storeFlag)",
                "The customer says the promotion never arrived. The ledger says:")
        Terminal.out(contactShowText(try ledger.contactJSON(campaign: campaign, contact: contact)))

        let entries = try ledger.history(campaign: campaign, contact: contact)
        section(4, "Its history", "ledger history \(campaign) \(contact) \(storeFlag)",
                "Every report about the contact in the order recorded, with the state before and after it.")
        Terminal.out(historyTable(entries.map(\.json), showContact: false))
        Terminal.out("")
        for line in storyExplanation(entries) { Terminal.out("• " + line) }

        if let late = entries.last(where: { $0.effect != .duplicate && $0.marks.contains(.afterEnd) }),
            let position = late.position, position > 1, let before = try ledger.event(at: position - 1)
        {
            try timeTravel(lateReceipt: late, knownUntil: before.recordedAtMicros)
        }

        let report = try ledger.verify()
        let head = "\(report.head.position):\(Hex.encode(report.head.hash))"
        section(6, "Integrity", "ledger verify \(storeFlag)",
                "verify recomputes the hash chain, checks every index and compares the projections with a fresh fold of the log.")
        for p in report.problems.prefix(5) { Terminal.out("FAIL \(p)") }
        if report.isOK { Terminal.out("ok: \(report.eventsChecked) events, hash chain, indexes and projections verified") }
        Terminal.out("head \(report.head.position) \(Hex.encode(report.head.hash))")
        Terminal.out("""

            Publish the head line (a ticket, a signed e-mail) as a checkpoint. Later,
              ledger verify --checkpoint \(head)
            proves that nothing up to position \(report.head.position) was changed, and an evidence export
            lets an auditor check one campaign against it without the other campaigns' data.
            """)

        section(7, "A rebuild", "ledger rebuild --verify \(storeFlag)",
                "rebuild replays the whole log into a new projection build while the ledger stays live, compares its fingerprint with the active build's, and switches to it atomically; the old build stays for a one-command rollback.")
        let rebuilt = try ledger.rebuild(verify: true)
        Terminal.out("build \(rebuilt.build): \(rebuilt.events) events in \(String(format: "%.2f", rebuilt.seconds)) s (\(Int(rebuilt.eventsPerSecond)) events/s), "
            + (rebuilt.activated ? "active" : "not activated"))
        if let matches = rebuilt.fingerprintMatches {
            Terminal.out(matches ? "fingerprint equals the previous build's: the same state, recomputed from the log" : "FINGERPRINT DIFFERS from the previous build's")
        }
        Terminal.out(Terminal.table(["BUILD", "STATE", "CHECKPOINT", "LAG"], try ledger.builds().map {
            ["\($0.number)", $0.state.rawValue, "\($0.checkpoint)", "\($0.lag)"]
        }))
        Terminal.out("Roll back with: ledger projections activate \(rebuilt.build - 1) \(storeFlag)")

        section(8, "Explore further", "", "")
        Terminal.out("""
              ledger campaign list \(storeFlag)
              ledger history \(campaign) \(storeFlag)
              ledger history \(campaign) \(contact) --json \(storeFlag)
              ledger contact list \(campaign) --state delivery_failed \(storeFlag)
              ledger metrics \(storeFlag)
              ledger verify --checkpoint \(head) \(storeFlag)
              ledger export --campaign \(campaign) --evidence --output \(campaign)-evidence.jsonl \(storeFlag)
              python3 tools/check_evidence.py \(campaign)-evidence.jsonl \(head)
              ledger forget \(campaign) \(contact) --reason "erasure request" --compact \(storeFlag)
            How to investigate a dispute step by step: docs/audit.md; erasing a person's
            address while the checkpoint above still verifies: docs/erasure.md
            """)
    }

    /// One sentence per thing the story's history shows, from the entries themselves.
    private func storyExplanation(_ entries: [HistoryEntry]) -> [String] {
        var lines: [String] = []
        func pos(_ e: HistoryEntry) -> String { e.position.map { "Position \($0)" } ?? "The dup row" }
        func transition(_ e: HistoryEntry) -> String { "\(e.stateBefore ?? "–") → \(e.stateAfter ?? "–")" }
        let applied = entries.filter { $0.effect != .duplicate }
        if let failed = applied.first(where: { $0.recorded.event.status?.stateClass == .failure }) {
            let e = failed.recorded.event
            lines.append("\(pos(failed)): attempt \(e.attempt ?? 1) failed at the provider (\(e.code ?? "no code")"
                + (e.reason.map { " \"\($0)\"" } ?? "") + "), so the contact went \(transition(failed)).")
        }
        if let retry = applied.first(where: { $0.recorded.event.status == .retryScheduled }) {
            lines.append("\(pos(retry)): the sender scheduled attempt \(retry.recorded.event.attempt ?? 2); "
                + "a newer attempt outranks the failed one (\(transition(retry))), and the next rows are attempt 2 being sent.")
        }
        if let duplicate = entries.first(where: { $0.effect == .duplicate }) {
            lines.append("The dup row is the provider re-delivering the \(duplicate.recorded.event.status?.rawValue ?? duplicate.recorded.event.type.rawValue) "
                + "webhook of position \(duplicate.recorded.position) with the same id: the ledger skipped it and kept it in a side record, so nothing changed.")
        }
        if let late = applied.last(where: { $0.marks.contains(.afterEnd) }) {
            lines.append("\(pos(late)), marked after end: the attempt-\(late.recorded.event.attempt ?? 2) \(late.recorded.event.status?.rawValue ?? "") receipt "
                + "was recorded after the campaign had finished and still counts (\(transition(late))): positive evidence wins, so the contact is reached.")
        }
        if let outOfOrder = applied.first(where: { $0.marks.contains(.late) }) {
            lines.append("\(pos(outOfOrder)), marked late: its `at` is earlier than a report already recorded for the contact; callbacks arrive out of order.")
        }
        return lines
    }

    /// Section 5: the contact as the ledger knew it just before the late receipt was recorded,
    /// as far as is known now by the end of the campaign, and now.
    private func timeTravel(lateReceipt: HistoryEntry, knownUntil micros: Int64) throws {
        let asOf = RFC3339.formatMicros(micros)
        let ended = try ledger.campaignJSON(campaign)["endedAt"]?.stringValue
        var list: [(String, TimeFilter?)] = [("--as-of \(asOf)", .asOf(nanos: micros * 1000))]
        if let ended, let t = try? RFC3339.parseNanos(ended) {
            list.append(("--occurred-before \(ended)", .occurredBefore(nanos: t)))
        }
        list.append(("now", nil))
        section(5, "What the ledger knew then, and what had happened",
                "ledger contact show \(campaign) \(contact) --as-of \(asOf) \(storeFlag)",
                """
                --as-of answers from the events recorded by then: just before the late receipt (position \(lateReceipt.position ?? 0)) \
                was recorded, the ledger still had the contact as not reached. --occurred-before answers from the \
                events whose `at` is earlier, as far as is known now: the receipt's `at` is before the campaign \
                ended (\(ended ?? "–")), so by then the message had in fact been delivered.
                """)
        let rows = try list.map { label, filter -> [String] in
            let k = try ledger.contactJSON(campaign: campaign, contact: contact, filter: filter)
            return [label] + ["state", "class", "attempt", "updatedAt", "reports"].map { k[$0]?.text ?? "–" }
        }
        Terminal.out(Terminal.table(["VIEW", "STATE", "CLASS", "ATTEMPT", "UPDATED", "REPORTS"], rows))
    }
}
