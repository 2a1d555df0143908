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

    func run() throws {
        let (campaigns, contacts) = Self.shape(events: events, maxContacts: maxContacts, seed: seed)
        guard let out = FileHandle(forWritingAtPath: output) ?? {
            FileManager.default.createFile(atPath: output, contents: nil)
            return FileHandle(forWritingAtPath: output)
        }() else { throw ValidationError("cannot write \(output)") }
        var buffer: [UInt8] = []
        var lines = 0
        HistoryGenerator(seed: seed, campaigns: campaigns, contactsPerCampaign: contacts).generate { line in
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
    static func shape(events: Int, maxContacts: Int, seed: UInt64) -> (campaigns: Int, contacts: Int) {
        var campaigns = 4
        var perContact = 0.0
        while true {
            var sample = 0
            let sampleContacts = 1000
            HistoryGenerator(seed: seed, campaigns: campaigns, contactsPerCampaign: sampleContacts).generate { _ in
                sample += 1
            }
            perContact = Double(sample) / Double(campaigns * sampleContacts)
            let contacts = Int((Double(events) / perContact / Double(campaigns)).rounded())
            if contacts <= maxContacts { return (campaigns, max(1, contacts)) }
            campaigns += 1
        }
    }
}
