import ArgumentParser
import CampaignLedger
import Foundation

struct CampaignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign",
        abstract: "Campaign status and metrics.",
        subcommands: [List.self, Show.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every campaign with its status (Completed if any contact was reached, Failed otherwise).")
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var time: TimeOptions

        func run() throws {
            try CampaignLedgerCLI.run {
                let answer = try storeOptions.open().campaignListJSON(filter: time.filter)
                if output.json { return Terminal.out(answer.serialized()) }
                Terminal.out(campaignListText(answer))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One campaign: lifecycle, status and every metric.",
            discussion: """
                Reads the campaign's stored counters: O(1) however many contacts it has.

                Example:
                  ledger campaign show spring-promo --as-of 2026-11-21T00:00:00Z
                """)
        @Argument(help: "The campaign id.") var campaign: String
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var time: TimeOptions

        func run() throws {
            try CampaignLedgerCLI.run {
                let c = try storeOptions.open().campaignJSON(campaign, filter: time.filter)
                if output.json { return Terminal.out(c.serialized()) }
                Terminal.out(campaignShowText(c))
            }
        }
    }
}

struct ContactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contact",
        abstract: "Contact states and what explains them.",
        subcommands: [List.self, Show.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every contact of a campaign (removed and invalid ones too), in contact-id order.",
            discussion: """
                Example:
                  ledger contact list spring-promo --state delivery_failed --limit 50
                """)
        @Argument(help: "The campaign id.") var campaign: String
        @Option(help: ArgumentHelp("Only contacts in this state (e.g. read, delivery_failed).", valueName: "state"))
        var state: String?
        @Option(help: ArgumentHelp("At most this many contacts.", valueName: "n")) var limit: Int?
        @Option(help: ArgumentHelp("Start after this contact id (paging).", valueName: "contact")) var after: String?
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var time: TimeOptions

        func validate() throws {
            if let state, ContactState(rawValue: state) == nil {
                throw ValidationError("unknown state \(state); states are: \(ContactState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run() throws {
            try CampaignLedgerCLI.run {
                let rows = try storeOptions.open().contactListJSON(
                    campaign: campaign, state: state.flatMap(ContactState.init), limit: limit, after: after,
                    filter: time.filter)
                if output.json { return Terminal.out(rows.serialized()) }
                let table = (rows.arrayValue ?? []).map { k in
                    ["contact", "state", "attempt", "code", "updatedAt", "reports"].map { k[$0]?.text ?? "–" }
                }
                Terminal.out(table.isEmpty ? "no contacts" : Terminal.table(
                    ["CONTACT", "STATE", "ATTEMPT", "CODE", "UPDATED", "REPORTS"], table))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One contact: its state, the report that explains it, its attempts.",
            discussion: """
                Example:
                  ledger contact show spring-promo c-17 --json
                """)
        @Argument(help: "The campaign id.") var campaign: String
        @Argument(help: "The contact id.") var contact: String
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var time: TimeOptions

        func run() throws {
            try CampaignLedgerCLI.run {
                let k = try storeOptions.open().contactJSON(campaign: campaign, contact: contact, filter: time.filter)
                if output.json { return Terminal.out(k.serialized()) }
                Terminal.out(contactShowText(k))
            }
        }
    }
}

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "A campaign's metrics, or totals per channel without one.",
        discussion: """
            Counts are of contacts; rates are null when their denominator is zero; timings are \
            in seconds from provider times (p50/p95 within 1 %).

            Examples:
              ledger metrics spring-promo
              ledger metrics --json
            """)
    @Argument(help: "The campaign id (omit for totals per channel).") var campaign: String?
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var time: TimeOptions

    func run() throws {
        try CampaignLedgerCLI.run {
            let m = try storeOptions.open().metricsJSON(campaign: campaign, filter: time.filter)
            if output.json { return Terminal.out(m.serialized()) }
            if campaign != nil { return Terminal.out(metricsLines(m).joined(separator: "\n")) }
            var blocks: [String] = []
            for (channel, metrics) in m.members ?? [] where (metrics["contacts"]?.intValue ?? 0) > 0 {
                blocks.append("== \(channel)\n" + metricsLines(metrics).joined(separator: "\n"))
            }
            Terminal.out(blocks.isEmpty ? "no contacts yet" : blocks.joined(separator: "\n\n"))
        }
    }
}

/// The `campaign list` answer as a table for people.
func campaignListText(_ answer: JSONOutput) -> String {
    let rows = (answer.arrayValue ?? []).map { c in
        [c["campaign"]?.text ?? "", c["channel"]?.text ?? "", statusText(c),
         c["metrics"]?["contacts"]?.text ?? "0", c["metrics"]?["reached"]?.text ?? "0",
         c["metrics"]?["failed"]?.text ?? "0", c["name"]?.text ?? "–"]
    }
    return rows.isEmpty ? "no campaigns" : Terminal.table(
        ["CAMPAIGN", "CHANNEL", "STATUS", "CONTACTS", "REACHED", "FAILED", "NAME"], rows)
}

/// The `campaign show` answer as aligned lines for people: lifecycle, then every metric.
func campaignShowText(_ c: JSONOutput) -> String {
    var lines = [
        "campaign   \(c["campaign"]?.text ?? "")" + (c["name"].map { $0 == .null ? "" : " (\($0.text))" } ?? ""),
        "channel    \(c["channel"]?.text ?? "")",
        "status     \(statusText(c))",
        "created    \(c["createdAt"]?.text ?? "–")",
        "started    \(c["startedAt"]?.text ?? "–")",
        "ended      \(c["endedAt"]?.text ?? "–")",
        "position   \(c["position"]?.text ?? "")  (build \(c["build"]?.text ?? ""))",
        "",
    ]
    lines += metricsLines(c["metrics"] ?? .null)
    return lines.joined(separator: "\n")
}

/// The `contact show` answer as aligned `field value` lines for people.
func contactShowText(_ k: JSONOutput) -> String {
    let fields = ["campaign", "contact", "state", "class", "attempt", "code", "reason", "providerRef",
                  "address", "addedAt", "updatedAt", "reports", "position"]
    return fields.map { field in
        let value = field == "address" && k["forgotten"] == .bool(true)
            ? "– (forgotten: erased by contact.forgotten, see history)" : (k[field]?.text ?? "–")
        return field.padding(toLength: 12, withPad: " ", startingAt: 0) + value
    }
    .joined(separator: "\n")
}

/// `completed (settled)`, `paused`, …
func statusText(_ c: JSONOutput) -> String {
    var s = c["status"]?.text ?? ""
    if let by = c["endedBy"], by != .null { s += " (\(by.text))" }
    if c["paused"] == .bool(true), !s.hasPrefix("paused") { s += ", paused" }
    return s
}

/// A metrics object as aligned lines for people.
func metricsLines(_ m: JSONOutput) -> [String] {
    var lines: [String] = []
    for (key, value) in m.members ?? [] {
        let label = key.padding(toLength: 14, withPad: " ", startingAt: 0)
        switch value {
        case .object(let members) where key.hasPrefix("timeTo"):
            let count = value["count"]?.text ?? "0"
            lines.append(label + (count == "0" ? "–" : "n=\(count) p50=\(value["p50"]?.text ?? "–")s p95=\(value["p95"]?.text ?? "–")s max=\(value["max"]?.text ?? "–")s"))
            _ = members
        case .object(let members):
            lines.append(label + (members.isEmpty ? "–" : members.map { "\($0.0)=\($0.1.text)" }.joined(separator: " ")))
        case _ where key.hasSuffix("Rate"):
            lines.append(label + percent(value))
        default:
            lines.append(label + value.text)
        }
    }
    return lines
}
