import ArgumentParser
import CampaignLedger
import Foundation

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "The audit timeline of a campaign or of one contact: every event, its effect and when it was known.",
        discussion: """
            One row per appended event in position order, with the state before and after it \
            (the contact's state for contact events, the campaign's status for campaign events) \
            and its effect: applied, no_change (the state already outranked it) or duplicate (a \
            re-delivery the ledger skipped; POS shows `dup`, listed where it was received). \
            MARKS flags `late` (its `at` is earlier than a report already recorded for that \
            contact: callbacks arrived out of order) and `after end` (recorded after the \
            campaign was finished or canceled).

            Examples:
              ledger history spring-promo c-0001
              ledger history spring-promo --json
            """)
    @Argument(help: "The campaign id.") var campaign: String
    @Argument(help: "The contact id (omit for the whole campaign).") var contact: String?
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CampaignLedgerCLI.run {
            let answer = try storeOptions.open().historyJSON(campaign: campaign, contact: contact)
            if output.json { return Terminal.out(answer.serialized()) }
            Terminal.out(historyTable(answer.arrayValue ?? [], showContact: contact == nil))
        }
    }
}

/// `history` entries (their JSON answers) as a table for people. `showContact` adds the
/// contact column (a whole campaign's timeline).
func historyTable(_ entries: [JSONOutput], showContact: Bool) -> String {
    var header = ["POS", "RECORDED", "AT"]
    if showContact { header.append("CONTACT") }
    header += ["EVENT", "ATT", "CODE", "PROVIDER REF", "ACTOR", "STATE", "EFFECT", "MARKS"]
    let rows = entries.map { e -> [String] in
        let duplicate = e["position"] == .null
        var row = [duplicate ? "dup" : e["position"]?.text ?? "", e["recordedAt"]?.text ?? "", e["at"]?.text ?? ""]
        if showContact { row.append(e["contact"]?.text ?? "") }
        let type = e["type"]?.text ?? ""
        row.append(type == "contact.status" ? e["status"]?.text ?? "" : type)
        row += ["attempt", "code", "providerRef", "actor"].map { e[$0]?.text ?? "–" }
        row.append("\(e["stateBefore"]?.text ?? "–") → \(e["stateAfter"]?.text ?? "–")")
        row.append(e["effect"]?.text ?? "")
        var marks = (e["marks"]?.arrayValue ?? []).map { $0.text.replacingOccurrences(of: "_", with: " ") }
        if duplicate, let repeated = e["repeats"] { marks.append("repeats \(repeated.text)") }
        row.append(marks.joined(separator: ", "))
        return row
    }
    return Terminal.table(header, rows)
}
