import ArgumentParser
import CampaignLedger
import CampaignLedgerReport
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML report of one campaign, with charts.",
        discussion: """
            One page for a person investigating a campaign: status and lifecycle, the delivery \
            funnel, cumulative delivered/read (telephone: connected/success) curves over time, \
            failure reasons with error codes, every metric and the states breakdown. The page \
            loads nothing from the network; open it in any browser. See docs/report.md.

            Example:
              ledger report spring-promo --output spring.html
            """)
    @Argument(help: "The campaign id.") var campaign: String
    @Option(help: ArgumentHelp("The HTML file to write (replaced if it exists).", valueName: "file"))
    var output: String
    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        try CampaignLedgerCLI.run {
            let html = try CampaignReport(ledger: storeOptions.open(), campaign: campaign).html()
            do {
                try Data(html.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                let why = error.localizedDescription.trimmingCharacters(in: CharacterSet(charactersIn: ". "))
                throw LedgerError.unavailable("cannot write \(output) (\(why)); check that its directory exists and is writable")
            }
            Terminal.err(output)
        }
    }
}
