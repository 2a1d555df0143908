import LMDB

/// A skipped re-delivery, kept in the side record `redeliveries` (domain.md §5): not in the log.
struct Redelivery: Sendable, Hashable {
    var sequence: UInt64
    var id: String
    /// The position of the event it repeats.
    var repeats: UInt64
    /// The highest position appended before it was received.
    var after: UInt64
    var receivedMicros: Int64

    var bytes: [UInt8] {
        [1] + repeats.bigEndianBytes + after.bigEndianBytes + receivedMicros.bigEndianBytes + Array(id.utf8)
    }

    init(sequence: UInt64, id: String, repeats: UInt64, after: UInt64, receivedMicros: Int64) {
        self.sequence = sequence
        self.id = id
        self.repeats = repeats
        self.after = after
        self.receivedMicros = receivedMicros
    }

    init?(_ b: UnsafeRawBufferPointer, sequence: UInt64 = 0) {
        guard b.count >= 25, b[0] == 1 else { return nil }
        repeats = UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: b[1...]))!
        after = UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: b[9...]))!
        receivedMicros = Int64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: b[17...]))!
        id = String(decoding: UnsafeRawBufferPointer(rebasing: b[25...]), as: UTF8.self)
        self.sequence = sequence
    }
}
