import ArgumentParser
import CampaignLedger
import Foundation

/// `--tasks` concurrent tasks, each appending single events durably with `append` (group
/// commit), into a new store: throughput and each append's latency.
struct AppendsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "appends", abstract: "Concurrent single-event durable appends: throughput, p50/p99 latency.")

    @Option(help: "The store to create (must not exist).") var store: String
    @Option(help: "Concurrent appending tasks.") var tasks = 64
    @Option(help: "Appends per task.") var appends = 200

    func run() async throws {
        let ledger = try openLedger(store)
        let at = "2026-11-30T09:00:00Z"
        try ledger.appendAndWait([
            Event(.campaignCreated, campaign: "bench", at: at, channel: .sms, name: "benchmark"),
            Event(.campaignStarted, campaign: "bench", at: at),
        ])
        let appends = self.appends
        let start = now()
        // Each task adds its contacts and reports on them: one event per append.
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var mine: [Double] = []
                    mine.reserveCapacity(appends)
                    for i in 0..<appends {
                        let contact = "t\(task)-c\(i / 2)"
                        let event = i % 2 == 0
                            ? try Event(.contactAdded, campaign: "bench", at: at, contact: contact, address: "+420601\(String(format: "%06d", task * 1000 + i / 2))")
                            : try Event(.contactStatus, campaign: "bench", at: at, contact: contact, status: .sent)
                        let t0 = now()
                        try await ledger.append([event])
                        mine.append(now() - t0)
                    }
                    return mine
                }
            }
            var all: [Double] = []
            for try await part in group { all += part }
            return all
        }
        let seconds = now() - start
        let sorted = latencies.sorted()
        emit("append64_eps", Double(sorted.count) / seconds)
        emit("append64_p50_ms", percentile(sorted, 0.50) * 1000)
        emit("append64_p99_ms", percentile(sorted, 0.99) * 1000)
    }
}

/// The `p`-quantile of sorted values (nearest rank).
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}
