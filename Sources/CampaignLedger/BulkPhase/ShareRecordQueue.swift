import Foundation

/// The records the reading thread of a bulk phase sends one share: batches of records copied
/// back to back, a few in flight, each handed back once folded and filled again (so their memory
/// is touched once). Guarded by its condition (hence `@unchecked Sendable`).
final class ShareRecordQueue: @unchecked Sendable {
    struct Batch: Sendable {
        var bytes: [UInt8] = []
        /// Where each record ends in `bytes`.
        var ends: [Int] = []
        static let size = 512 * 1024

        mutating func add(_ record: UnsafeRawBufferPointer) {
            bytes.append(contentsOf: record)
            ends.append(bytes.count)
        }

        var isFull: Bool { bytes.count >= Self.size }
    }

    private let condition = NSCondition()
    private var full: [Batch] = []
    private var empty: [Batch]
    /// No more batches will come (the log is read, or the reading failed).
    private var closed = false
    /// The share stopped taking batches.
    private var stopped = false

    init(batches: Int) {
        empty = (0..<batches).map { _ in
            var b = Batch()
            b.bytes.reserveCapacity(Batch.size + 4096)
            return b
        }
    }

    private func locked<R>(_ body: () throws -> R) rethrows -> R {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }

    /// For the reader: a batch to fill, once one is free; nil when the share has stopped.
    func emptyBatch() -> Batch? {
        locked {
            while empty.isEmpty && !stopped { condition.wait() }
            return stopped ? nil : empty.removeLast()
        }
    }

    func send(_ batch: Batch) {
        locked {
            full.append(batch)
            condition.broadcast()
        }
    }

    func close() {
        locked {
            closed = true
            condition.broadcast()
        }
    }

    /// For the share: the next batch, in the order sent; nil once the queue is closed and drained.
    func receive() -> Batch? {
        locked {
            while full.isEmpty && !closed { condition.wait() }
            return full.isEmpty ? nil : full.removeFirst()
        }
    }

    func recycle(_ batch: Batch) {
        var batch = batch
        batch.bytes.removeAll(keepingCapacity: true)
        batch.ends.removeAll(keepingCapacity: true)
        locked {
            empty.append(batch)
            condition.broadcast()
        }
    }

    func stop() {
        locked {
            stopped = true
            condition.broadcast()
        }
    }
}
