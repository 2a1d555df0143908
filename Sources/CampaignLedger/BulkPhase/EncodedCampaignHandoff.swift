import Foundation

/// What passes between the threads of a rebuild's bulk phase: how far the log has been read,
/// the campaigns' write order, each step's encoded records (a campaign's contacts, or its timing
/// entries) from each share to the thread that writes them, and a failure or stop that ends
/// every thread. Guarded by its condition (hence `@unchecked Sendable`).
final class EncodedCampaignHandoff: @unchecked Sendable {
    private let condition = NSCondition()
    private let shares: Int
    private var readUpTo: UInt64 = 0
    private var writeOrder: [Int]?
    private var ready: [Int: [Int: CampaignShareRecords]] = [:]
    private var error: (any Error)?
    private var stopped = false

    init(shares: Int) {
        self.shares = shares
    }

    private func locked<R>(_ body: () throws -> R) rethrows -> R {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }

    /// The position the log has been read up to.
    var checkpoint: UInt64 { locked { readUpTo } }

    /// The error a share or the reading failed with (an internal one when none is recorded).
    var failure: any Error { locked { error ?? LedgerError.internal("the rebuild's bulk phase stopped") } }

    /// Whether the shares should stop (the writer failed, or a share did).
    var isStopped: Bool { locked { stopped || error != nil } }

    func read(upTo position: UInt64) { locked { readUpTo = position } }

    /// Sets the campaigns' write order (the first share to finish folding sets it).
    func setWriteOrder(_ order: [Int]) {
        locked {
            if writeOrder == nil { writeOrder = order }
            condition.broadcast()
        }
    }

    func publish(_ step: Int, share: Int, _ records: CampaignShareRecords) {
        locked {
            ready[step, default: [:]][share] = records
            condition.broadcast()
        }
    }

    func fail(_ error: any Error) {
        locked {
            if self.error == nil { self.error = error }
            condition.broadcast()
        }
    }

    func stop() {
        locked {
            stopped = true
            condition.broadcast()
        }
    }

    /// Waits for `ready` to give a value, calling `tick` (outside the lock) whenever woken
    /// and at least every quarter second; throws a share's error.
    private func wait<R>(tick: () throws -> Void, _ ready: () -> R?) throws -> R {
        while true {
            condition.lock()
            if let error {
                condition.unlock()
                throw error
            }
            if let value = ready() {
                condition.unlock()
                return value
            }
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.25))
            condition.unlock()
            try tick()
        }
    }

    /// The campaigns' write order, once a share has folded the whole log.
    func order(tick: () throws -> Void) throws -> [Int] { try wait(tick: tick) { writeOrder } }

    /// Step `step`'s records from every share, once all have handed them over (forgotten here).
    func take(_ step: Int, tick: () throws -> Void) throws -> [CampaignShareRecords] {
        try wait(tick: tick) { takeIfReady(step) }
    }

    /// `take` without waiting: nil while a share has not handed step `step` over.
    func poll(_ step: Int) throws -> [CampaignShareRecords]? {
        try locked {
            if let error { throw error }
            return takeIfReady(step)
        }
    }

    private func takeIfReady(_ step: Int) -> [CampaignShareRecords]? {
        guard let parts = ready[step], parts.count == shares else { return nil }
        ready[step] = nil
        return (0..<shares).map { parts[$0]! }
    }
}
