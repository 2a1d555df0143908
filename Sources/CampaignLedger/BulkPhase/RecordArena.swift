/// Records (key ‖ value) back to back in one growing buffer, in the order appended: a bulk
/// phase makes hundreds of thousands of records, and a pair of arrays per record (two
/// allocations, two frees, scattered pages) costs more than folding them.
struct RecordArena: Sendable {
    /// The buffer: immutable once made (growing makes a new one), so reading it from the
    /// thread that writes the records after the thread that made them is safe; freed with the
    /// last arena that holds it.
    private final class Storage: @unchecked Sendable {
        let base: UnsafeMutableRawPointer
        let capacity: Int
        init(capacity: Int) {
            self.capacity = capacity
            base = .allocate(byteCount: capacity, alignment: 8)
        }
        deinit { base.deallocate() }
    }

    private var storage: Storage
    private var used = 0
    /// Record i is `starts[i] ..< starts[i + 1]`, its key the first `keyCounts[i]` bytes.
    private var starts: [Int] = [0]
    private var keyCounts: [Int32] = []

    init(reserving bytes: Int = 0, records: Int = 0) {
        storage = Storage(capacity: max(bytes, 256))
        starts.reserveCapacity(records + 1)
        keyCounts.reserveCapacity(records)
    }

    var count: Int { keyCounts.count }

    private mutating func write(_ bytes: UnsafeRawBufferPointer) {
        guard let from = bytes.baseAddress, !bytes.isEmpty else { return }
        if used + bytes.count > storage.capacity {
            let grown = Storage(capacity: max(used + bytes.count, storage.capacity * 2))
            grown.base.copyMemory(from: storage.base, byteCount: used)
            storage = grown
        }
        (storage.base + used).copyMemory(from: from, byteCount: bytes.count)
        used += bytes.count
    }

    /// Appends the record `key ‖ keyRest ‖ value` and returns its fingerprint term.
    @discardableResult
    mutating func append(
        key: [UInt8], _ keyRest: UnsafeRawBufferPointer = .init(start: nil, count: 0),
        value: UnsafeRawBufferPointer = .init(start: nil, count: 0)
    ) -> Fingerprint {
        key.withUnsafeBytes { write($0) }
        write(keyRest)
        keyCounts.append(Int32(used - starts[starts.count - 1]))
        write(value)
        starts.append(used)
        return Fingerprint.term(record: UnsafeRawBufferPointer(start: storage.base + starts[count - 1], count: used - starts[count - 1]))
    }

    @inline(__always)
    func key(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage.base + starts[i], count: Int(keyCounts[i]))
    }

    @inline(__always)
    func value(_ i: Int) -> UnsafeRawBufferPointer {
        let from = starts[i] + Int(keyCounts[i])
        return UnsafeRawBufferPointer(start: storage.base + from, count: starts[i + 1] - from)
    }
}
