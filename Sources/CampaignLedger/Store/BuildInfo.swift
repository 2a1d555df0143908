import LMDB

/// What the `builds` database says of one projection build (docs/format.md).
struct BuildInfo: Sendable, Hashable {
    enum Status: UInt8, Sendable {
        /// Being built by `ledger rebuild`: not maintained inline, not answering.
        case building = 0
        /// Complete: maintained inline by every process with its rules.
        case ready = 1
        /// Dropped: its data is gone.
        case dropped = 2
    }
    var number: UInt32
    var status: Status
    var version: UInt32
    var rulesID: String
    /// Which projection: `BuiltInProjection.name` or a custom projection's name.
    var projection: String = BuiltInProjection.name
    /// The last position applied: written in the same transaction as the data (exactly once).
    var checkpoint: UInt64
    var createdMicros: Int64
    /// When the build became ready (0 before).
    var completedMicros: Int64 = 0
    /// Events applied per second while it was built (0 for builds made inline from position 1).
    var eventsPerSecond: UInt64 = 0
    /// The state fingerprint at `checkpoint` (see `Fingerprint`).
    var fingerprint = Fingerprint()

    var bytes: [UInt8] {
        var out: [UInt8] = [1, status.rawValue]
        out += version.bigEndianBytes
        out += checkpoint.bigEndianBytes
        out += createdMicros.bigEndianBytes
        out += completedMicros.bigEndianBytes
        out += eventsPerSecond.bigEndianBytes
        out += fingerprint.bytes
        let rules = Array(rulesID.utf8)
        out += UInt16(rules.count).bigEndianBytes
        out += rules
        let name = Array(projection.utf8)
        out += UInt16(name.count).bigEndianBytes
        out += name
        return out
    }

    init(number: UInt32, status: Status, version: UInt32, rulesID: String, checkpoint: UInt64, createdMicros: Int64) {
        self.number = number
        self.status = status
        self.version = version
        self.rulesID = rulesID
        self.checkpoint = checkpoint
        self.createdMicros = createdMicros
    }

    init?(number: UInt32, _ b: UnsafeRawBufferPointer) {
        let fixed = 2 + 4 + 8 + 8 + 8 + 8 + 32 + 2
        guard b.count >= fixed, b[0] == 1, let status = Status(rawValue: b[1]) else { return nil }
        let bytes = Array(b)
        func u64(_ at: Int) -> UInt64 { UInt64(bigEndianBytes: Array(bytes[at..<(at + 8)]))! }
        version = UInt32(bigEndianBytes: Array(bytes[2..<6]))!
        checkpoint = u64(6)
        createdMicros = Int64(bitPattern: u64(14))
        completedMicros = Int64(bitPattern: u64(22))
        eventsPerSecond = u64(30)
        fingerprint = Fingerprint(bytes: bytes[38..<70])!
        let length = Int(UInt16(bigEndianBytes: Array(bytes[70..<72]))!)
        guard bytes.count >= fixed + length + 2 else { return nil }
        rulesID = String(decoding: bytes[72..<(72 + length)], as: UTF8.self)
        let nameAt = 72 + length
        let nameLength = Int(UInt16(bigEndianBytes: Array(bytes[nameAt..<(nameAt + 2)]))!)
        guard bytes.count == nameAt + 2 + nameLength else { return nil }
        projection = String(decoding: bytes[(nameAt + 2)...], as: UTF8.self)
        self.number = number
        self.status = status
    }

    var isBuiltIn: Bool { projection == BuiltInProjection.name }
}
