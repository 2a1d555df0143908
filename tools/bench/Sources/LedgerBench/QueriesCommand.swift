import ArgumentParser
import CampaignLedger
import Foundation

/// Point queries in process against an imported store: random contacts and campaigns of the
/// trace, each query its own read transaction, for `--seconds` each.
struct QueriesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queries", abstract: "Point queries (contact, campaign) per second in process.")

    @OptionGroup var files: TraceAndStore
    @Option(help: "Seconds per kind of query.") var seconds = 2.0

    func run() throws {
        let parsed = try Trace(path: files.trace)
        let contacts = parsed.contacts
        let campaigns = Array(parsed.channels.keys).sorted()
        guard !contacts.isEmpty else { throw ValidationError("the trace adds no contact") }
        let ledger = try openLedger(files.store)
        var random = SystemRandomNumberGenerator()

        var found = 0
        var count = 0
        var start = now()
        while now() - start < seconds {
            for _ in 0..<1000 {
                let c = contacts[Int.random(in: 0..<contacts.count, using: &random)]
                if try ledger.contact(campaign: c.campaign, contact: c.contact) != nil { found += 1 }
            }
            count += 1000
        }
        emit("query_contact_qps", Double(count) / (now() - start))

        count = 0
        start = now()
        while now() - start < seconds {
            for _ in 0..<1000 {
                let c = campaigns[Int.random(in: 0..<campaigns.count, using: &random)]
                if try ledger.campaign(c) != nil { found += 1 }
            }
            count += 1000
        }
        emit("query_campaign_qps", Double(count) / (now() - start))
        if found == 0 { throw ValidationError("no query found anything: wrong store?") }
    }
}
