import ArgumentParser
import CampaignLedger
import CampaignLedgerDemo
import Foundation

/// Writes the benchmark's trace: a `HistoryGenerator` history of about `--events` events.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a realistic JSON Lines trace of about N events (late, duplicated, out-of-order callbacks).")

    @Option(help: "About how many events.") var events = 1_000_000
    @Option(help: "The largest campaign's contacts.") var maxContacts = 100_000
    @Option(help: "The generator's seed.") var seed: UInt64 = 6
    @Option(help: "The JSON Lines file to write.") var output: String
    @Option(help: ArgumentHelp(
        "Keep at most K status reports per contact (a contacts-heavy trace: 2 events per contact with K 1).",
        valueName: "K")) var statusesPerContact: Int?

    func run() throws {
        let keep = StatusFilter(limit: statusesPerContact)
        let (campaigns, contacts) = Self.shape(events: events, maxContacts: maxContacts, seed: seed, keep: keep)
        guard let out = FileHandle(forWritingAtPath: output) ?? {
            FileManager.default.createFile(atPath: output, contents: nil)
            return FileHandle(forWritingAtPath: output)
        }() else { throw ValidationError("cannot write \(output)") }
        var buffer: [UInt8] = []
        var lines = 0
        var filter = keep
        HistoryGenerator(seed: seed, campaigns: campaigns, contactsPerCampaign: contacts).generate { line in
            guard filter.keeps(line) else { return }
            buffer.append(contentsOf: line.utf8)
            buffer.append(0x0A)
            lines += 1
            if buffer.count > 1 << 20 {
                out.write(Data(buffer))
                buffer.removeAll(keepingCapacity: true)
            }
        }
        out.write(Data(buffer))
        try out.close()
        FileHandle.standardError.write(
            Data("trace: \(lines) lines, \(campaigns) campaigns × \(contacts) contacts\n".utf8))
        emit("trace_events", Double(lines))
        emit("trace_campaigns", Double(campaigns))
        emit("trace_contacts", Double(campaigns * contacts))
    }

    /// Campaigns and contacts per campaign giving about `events` events: the generator's events
    /// per contact are measured on a small sample of the same shape, then scaled. Contacts per
    /// campaign stay at most `maxContacts`; at least four campaigns, so every channel appears
    /// (with three or more, the generator never starts the last one).
    static func shape(events: Int, maxContacts: Int, seed: UInt64, keep: StatusFilter) -> (campaigns: Int, contacts: Int) {
        var campaigns = 4
        var perContact = 0.0
        while true {
            var sample = 0
            let sampleContacts = 1000
            var filter = keep
            HistoryGenerator(seed: seed, campaigns: campaigns, contactsPerCampaign: sampleContacts).generate { line in
                if filter.keeps(line) { sample += 1 }
            }
            perContact = Double(sample) / Double(campaigns * sampleContacts)
            let contacts = Int((Double(events) / perContact / Double(campaigns)).rounded())
            if contacts <= maxContacts { return (campaigns, max(1, contacts)) }
            campaigns += 1
        }
    }
}

/// Drops a contact's status reports past the first `limit` (all kept without a limit). The
/// generator writes compact JSON with `"campaign"` and `"contact"` members; their values are
/// taken as text, which is all a count per contact needs.
struct StatusFilter {
    let limit: Int?
    private var seen: [String: Int] = [:]

    init(limit: Int?) { self.limit = limit }

    mutating func keeps(_ line: String) -> Bool {
        guard let limit, line.contains(#""type":"contact.status""#) else { return true }
        let key = String(Self.value(of: "campaign", in: line) ?? "") + "\u{0}" + String(Self.value(of: "contact", in: line) ?? "")
        let n = seen[key, default: 0]
        seen[key] = n + 1
        return n < limit
    }

    static func value(of member: String, in line: String) -> Substring? {
        guard let start = line.range(of: "\"\(member)\":\"")?.upperBound,
            let end = line[start...].firstIndex(of: "\"")
        else { return nil }
        return line[start..<end]
    }
}
