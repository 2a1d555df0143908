import ArgumentParser
import CampaignLedger
import Foundation

/// Rebuilds in process (`Ledger.rebuild`, what `ledger rebuild` runs): events/s, and the peak
/// growth of the process's anonymous memory (heap and other private allocations, `RssAnon` in
/// /proc/self/status), sampled every millisecond. Unlike the whole RSS, this leaves out the
/// store's pages that LMDB maps into memory, which grow with the log by design.
///
/// Two rebuilds, not activated: the first is timed alone, the second sampled. The sampler
/// thread reads /proc every millisecond; on a 2-core machine it would take a share of the
/// cores the rebuild folds on, and slow the figure it measures.
struct RebuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild", abstract: "Rebuild the projections in process: events/s and peak heap growth.")

    @Option(help: "The store.") var store: String
    @Option(help: "A suffix for the metric names (e.g. a history size).") var label = ""

    func run() throws {
        let ledger = try openLedger(store)
        let summary = try ledger.rebuild(activate: false)
        try ledger.drop(build: summary.build)
        let sampler = HeapSampler()
        let sampled = try ledger.rebuild(activate: false)
        let peak = sampler.stop()
        try ledger.drop(build: sampled.build)
        emit("rebuild_eps\(label)", summary.eventsPerSecond)
        emit("rebuild_heap_mb\(label)", Double(peak) / 1_048_576)
    }
}

/// Samples the anonymous resident memory every millisecond on its own thread and keeps the peak above the
/// heap in use when it started.
///
/// `@unchecked Sendable`: `peak` and `running` are guarded by `lock`.
final class HeapSampler: @unchecked Sendable {
    private let lock = NSLock()
    private var peak = 0
    private var running = true
    private let base: Int
    private let done = DispatchSemaphore(value: 0)

    init() {
        base = Self.inUse()
        Thread.detachNewThread { [self] in
            while true {
                let used = Self.inUse() - base
                lock.lock()
                peak = max(peak, used)
                let go = running
                lock.unlock()
                if !go { break }
                usleep(1000)
            }
            done.signal()
        }
    }

    /// Stops sampling; returns the peak growth in bytes.
    func stop() -> Int {
        lock.lock()
        running = false
        lock.unlock()
        done.wait()
        return max(peak, Self.inUse() - base)
    }

    /// Resident anonymous memory in bytes (`RssAnon`; 0 where /proc is absent).
    static func inUse() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("RssAnon:") }),
            let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return 0 }
        return kb * 1024
    }
}
