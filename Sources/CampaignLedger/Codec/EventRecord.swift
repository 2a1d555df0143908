/// The binary record of one event in the `events` database (docs/format.md, "Event record").
///
/// Version 1, all integers big-endian:
/// version u8 (1) · type u8 (`EventType.code`) · position u64 · recordedAtMicros i64 ·
/// hash 32 bytes · atNanos i64 · presence u16 · campaign (u32 length + UTF-8) ·
/// at (u32 length + UTF-8) · then each present optional field, in this order and bit:
/// 0 id, 1 contact, 2 channel (u8: 1 whatsapp, 2 sms, 3 telephone), 3 name, 4 address,
/// 5 status (u8 `ContactState.code`), 6 attempt (u32), 7 code, 8 reason, 9 providerRef, 10 actor,
/// 11 meta, 12 addressSalt (16 bytes). Strings are u32 length + UTF-8. Nothing follows.
package enum EventRecord {
    /// The record format this code writes and reads.
    package static let version: UInt8 = 1

    /// The bits of the presence bitmap, in field order.
    enum Bit: UInt16 {
        case id = 0, contact, channel, name, address, status, attempt, code, reason, providerRef, actor
        case meta, addressSalt

        var mask: UInt16 { 1 << rawValue }
    }

    static let knownBits: UInt16 = (1 << 13) - 1

    /// Stable one-byte channel codes. Never renumber.
    static func channelCode(_ c: Channel) -> UInt8 {
        switch c {
        case .whatsapp: 1
        case .sms: 2
        case .telephone: 3
        }
    }

    static func channel(code: UInt8) -> Channel? {
        switch code {
        case 1: .whatsapp
        case 2: .sms
        case 3: .telephone
        default: nil
        }
    }

    /// The record of an event. Preconditions (programming errors, not data errors): `hash` has
    /// 32 bytes, `addressSalt` (when present) 16, `attempt` (when present) fits 0…2³²−1.
    package static func encode(_ r: RecordedEvent) -> [UInt8] {
        precondition(r.hash.count == 32, "a hash has 32 bytes")
        precondition(r.addressSalt == nil || r.addressSalt!.count == 16, "an address salt has 16 bytes")
        let e = r.event
        var out: [UInt8] = []
        out.reserveCapacity(
            160 + e.campaign.utf8.count + e.at.utf8.count + (e.id?.utf8.count ?? 0) + (e.contact?.utf8.count ?? 0)
                + (e.meta?.utf8.count ?? 0))
        out.append(version)
        out.append(e.type.code)
        put(r.position, &out)
        put(UInt64(bitPattern: r.recordedAtMicros), &out)
        out.append(contentsOf: r.hash)
        put(UInt64(bitPattern: e.atNanos), &out)
        var presence: UInt16 = 0
        func mark(_ present: Bool, _ bit: Bit) { if present { presence |= bit.mask } }
        mark(e.id != nil, .id)
        mark(e.contact != nil, .contact)
        mark(e.channel != nil, .channel)
        mark(e.name != nil, .name)
        mark(e.address != nil, .address)
        mark(e.status != nil, .status)
        mark(e.attempt != nil, .attempt)
        mark(e.code != nil, .code)
        mark(e.reason != nil, .reason)
        mark(e.providerRef != nil, .providerRef)
        mark(e.actor != nil, .actor)
        mark(e.meta != nil, .meta)
        mark(r.addressSalt != nil, .addressSalt)
        out.append(UInt8(presence >> 8))
        out.append(UInt8(presence & 0xFF))
        putString(e.campaign, &out)
        putString(e.at, &out)
        if let v = e.id { putString(v, &out) }
        if let v = e.contact { putString(v, &out) }
        if let v = e.channel { out.append(channelCode(v)) }
        if let v = e.name { putString(v, &out) }
        if let v = e.address { putString(v, &out) }
        if let v = e.status { out.append(v.code) }
        if let v = e.attempt {
            precondition(v >= 0 && v <= Int(UInt32.max), "attempt fits u32")
            put32(UInt32(v), &out)
        }
        if let v = e.code { putString(v, &out) }
        if let v = e.reason { putString(v, &out) }
        if let v = e.providerRef { putString(v, &out) }
        if let v = e.actor { putString(v, &out) }
        if let v = e.meta { putString(v, &out) }
        if let v = r.addressSalt { out.append(contentsOf: v) }
        return out
    }

    static func put(_ v: UInt64, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) }
    }

    static func put32(_ v: UInt32, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) }
    }

    static func putString(_ s: String, _ out: inout [UInt8]) {
        var s = s
        s.withUTF8 { utf8 in
            put32(UInt32(utf8.count), &out)
            out.append(contentsOf: utf8)
        }
    }

    /// Reads a record. Every length and code is checked: a truncated, extended or corrupted
    /// record gives an error naming what is wrong, never a crash.
    package static func decode(_ bytes: UnsafeRawBufferPointer) throws(RecordDecodeError) -> RecordedEvent {
        try RecordView(bytes).recorded()
    }

    /// Reads a record held in an array.
    package static func decode(_ bytes: [UInt8]) throws(RecordDecodeError) -> RecordedEvent {
        let result = bytes.withUnsafeBytes { p in
            Result { () throws(RecordDecodeError) -> RecordedEvent in try decode(p) }
        }
        return try result.get()
    }
}

/// A stored event record that cannot be read: what is wrong and where.
package struct RecordDecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    package var message: String
    /// Byte offset in the record where the problem was found.
    package var offset: Int

    package var description: String { "event record: \(message) (at byte \(offset))" }
}

/// A bounds-checked cursor over a record.
struct RecordReader {
    let p: UnsafeRawBufferPointer
    var i = 0

    @inline(__always)
    func error(_ message: String) -> RecordDecodeError { RecordDecodeError(message: message, offset: i) }

    @inline(__always)
    mutating func need(_ n: Int, _ what: String) throws(RecordDecodeError) {
        guard n >= 0, n <= p.count - i else { throw error("truncated in \(what)") }
    }

    @inline(__always)
    mutating func byte(_ what: String) throws(RecordDecodeError) -> UInt8 {
        try need(1, what)
        defer { i += 1 }
        return p[i]
    }

    @inline(__always)
    mutating func u64(_ what: String) throws(RecordDecodeError) -> UInt64 {
        try need(8, what)
        var v: UInt64 = 0
        for k in 0..<8 { v = v << 8 | UInt64(p[i + k]) }
        i += 8
        return v
    }

    @inline(__always)
    mutating func u32(_ what: String) throws(RecordDecodeError) -> UInt32 {
        try need(4, what)
        var v: UInt32 = 0
        for k in 0..<4 { v = v << 8 | UInt32(p[i + k]) }
        i += 4
        return v
    }

    @inline(__always)
    mutating func skip(_ n: Int, _ what: String) throws(RecordDecodeError) -> Int {
        try need(n, what)
        defer { i += n }
        return i
    }

    /// A length-prefixed string, checked to be UTF-8 (unless `check` is false) but not copied.
    @inline(__always)
    mutating func text(_ what: String, check: Bool = true) throws(RecordDecodeError) -> RecordView.Text {
        let n = Int(try u32(what))
        try need(n, what)
        guard !check || UTF8Check.isValid(UnsafeRawBufferPointer(rebasing: p[i..<i + n])) else {
            throw error("\(what) is not UTF-8")
        }
        defer { i += n }
        return RecordView.Text(offset: UInt32(i), count: UInt32(n))
    }
}
