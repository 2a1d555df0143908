import ArgumentParser
import CampaignLedger
import Foundation
import ProcessTuning

/// `ledger-bench`: the in-process half of the benchmark (`tools/bench.sh` runs it together with
/// the `ledger` command, the C baselines and the Python peer; docs/performance.md). Each
/// measuring subcommand prints `metric<TAB>value` lines on stdout, one per figure, which
/// `bench.sh` collects round after round and `ledger-bench report` turns into the table.
@main
struct LedgerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger-bench",
        abstract: "In-process measurements of the campaign-ledger benchmark (run tools/bench.sh).",
        subcommands: [
            GenerateCommand.self, ImportAPICommand.self, AppendsCommand.self, QueriesCommand.self,
            RebuildCommand.self, ExtendCommand.self, ReportCommand.self,
        ]
    )

    /// Measures the library in a process set up as the `ledger` command sets up its own.
    static func main() async {
        ProcessMemory.keepFreedMemoryForReuse()
        await main(nil)
    }
}

/// Prints one figure for `bench.sh` to collect.
func emit(_ metric: String, _ value: Double) {
    print("\(metric)\t\(value)")
}

/// Monotonic seconds since an arbitrary origin.
func now() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}

/// The events of a JSON Lines trace, parsed (outside any timed section).
struct Trace {
    var events: [Event]

    init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        events = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            events.append(try Event(json: String(line)))
        }
    }

    /// Every (campaign, contact) the trace adds, in order.
    var contacts: [(campaign: String, contact: String)] {
        events.compactMap { e in
            guard e.type == .contactAdded, let contact = e.contact else { return nil }
            return (e.campaign, contact)
        }
    }

    /// Each campaign's channel.
    var channels: [String: Channel] {
        var out: [String: Channel] = [:]
        for e in events where e.type == .campaignCreated { out[e.campaign] = e.channel }
        return out
    }
}

/// Opens (or creates) a store for the benchmark.
func openLedger(_ path: String) throws -> Ledger {
    try Ledger(.init(path: path))
}

/// `--trace` and `--store`, shared by the commands that work on a trace and a store.
struct TraceAndStore: ParsableArguments {
    @Option(help: "The JSON Lines trace (from `ledger-bench generate`).") var trace: String
    @Option(help: "The store (created when absent).") var store: String
}
