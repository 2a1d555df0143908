import Foundation

/// Group commit: appenders hand their requests to one writer thread, which commits every request
/// waiting at that moment in one LMDB write transaction (one fsync), then wakes them all.
/// Many tasks appending one event each therefore share commits instead of paying one each.
///
/// Generic over what is committed: event appends (`AppendRequest` → `AppendOutcome`s) and provider
/// callbacks (`CallbackBatch` → `CallbackOutcome`s) each have their writer.
///
/// `@unchecked Sendable`: `pending` and `stopped` are guarded by `condition`.
final class GroupCommitter<Request: CommitUnit, Outcome: Sendable>: @unchecked Sendable {
    typealias Completion = @Sendable (Result<[Outcome], any Error>) -> Void

    private let condition = NSCondition()
    private var pending: [(Request, Completion)] = []
    private var stopped = false
    private var finished = false
    private var writerThread: Thread?
    private let commit: @Sendable ([Request]) throws -> [Result<[Outcome], LedgerError>]
    /// Upper bound of events per shared transaction, so no commit holds the writer long.
    private let maxEventsPerCommit: Int

    init(
        maxEventsPerCommit: Int = 10_000,
        commit: @escaping @Sendable ([Request]) throws -> [Result<[Outcome], LedgerError>]
    ) {
        self.commit = commit
        self.maxEventsPerCommit = maxEventsPerCommit
        let thread = Thread { [weak self] in self?.run() }
        thread.name = "campaign-ledger writer (\(Request.self))"
        writerThread = thread
        thread.start()
    }

    func submit(_ request: Request, _ completion: @escaping Completion) {
        condition.lock()
        if stopped {
            condition.unlock()
            completion(.failure(LedgerError.unavailable("the ledger is closed")))
            return
        }
        pending.append((request, completion))
        condition.signal()
        condition.unlock()
    }

    /// Stops the writer thread after the requests already submitted, and waits for it to end
    /// (so the store it writes to is released when the ledger is).
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        if Thread.current !== writerThread {
            while !finished { condition.wait() }
        }
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty && !stopped { condition.wait() }
            if pending.isEmpty && stopped {
                finished = true
                writerThread = nil
                condition.broadcast()
                condition.unlock()
                return
            }
            var taken = 0
            var events = 0
            while taken < pending.count && (taken == 0 || events + pending[taken].0.size <= maxEventsPerCommit) {
                events += pending[taken].0.size
                taken += 1
            }
            let group = Array(pending.prefix(taken))
            pending.removeFirst(taken)
            condition.unlock()
            do {
                let results = try commit(group.map(\.0))
                for (i, (_, completion)) in group.enumerated() {
                    completion(results[i].mapError { $0 })
                }
            } catch {
                for (_, completion) in group { completion(.failure(error)) }
            }
        }
    }
}

/// One unit a `GroupCommitter` commits; `size` (events or statuses) bounds a shared transaction.
protocol CommitUnit: Sendable {
    var size: Int { get }
}

extension AppendRequest: CommitUnit {
    var size: Int { events.count }
}
