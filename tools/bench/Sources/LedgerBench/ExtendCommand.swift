import ArgumentParser
import CampaignLedger
import Foundation

/// Grows an imported store's history without adding contacts: `--per-contact` late status
/// reports for every contact of the trace (accepted after a campaign ended: domain.md §5), so
/// a rebuild of the result shows whether its heap grows with events or with contacts.
struct ExtendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extend", abstract: "Append late status reports for every contact of a trace (more events, same contacts).")

    @OptionGroup var files: TraceAndStore
    @Option(help: "Reports to append per contact.") var perContact = 6

    func run() throws {
        let parsed = try Trace(path: files.trace)
        let channels = parsed.channels
        let ledger = try openLedger(files.store)
        var batch: [Event] = []
        var appended = 0
        for round in 0..<perContact {
            for c in parsed.contacts {
                let status: ContactState = channels[c.campaign] == .telephone ? .unreachable : .delivered
                batch.append(
                    try Event(
                        .contactStatus, campaign: c.campaign, at: "2026-12-0\(1 + round % 9)T10:00:00Z",
                        id: "late-\(round)-\(c.campaign)-\(c.contact)", contact: c.contact, status: status))
                if batch.count == 10_000 {
                    appended += try ledger.appendAndWait(batch).count
                    batch.removeAll(keepingCapacity: true)
                }
            }
        }
        appended += try ledger.appendAndWait(batch).count
        FileHandle.standardError.write(Data("extend: \(appended) events appended\n".utf8))
    }
}
