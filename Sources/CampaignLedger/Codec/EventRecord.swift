/// The binary record of one event in the `events` database (docs/format.md, "Event record").
///
/// All fixed-width integers big-endian: version u8 · type u8 (`EventType.code`) · position u64 ·
/// recordedAtMicros i64 · hash 32 bytes · atNanos i64 · presence u16 · campaign · at · then each
/// present optional field, in this order and bit: 0 id, 1 contact, 2 channel (u8: 1 whatsapp,
/// 2 sms, 3 telephone), 3 name, 4 address, 5 status (u8 `ContactState.code`), 6 attempt, 7 code,
/// 8 reason, 9 providerRef, 10 actor, 11 meta, 12 addressSalt (16 bytes). Nothing follows.
///
/// Version 1 (format-1 stores): strings are u32 length + UTF-8, attempt u32. Version 2 (written
/// since format 2): strings are varint length + UTF-8, attempt a varint, and bits 13–14 say how
/// the id is kept: 0 as text, 1 `imp-` + 32 lowercase hex digits kept as their 16 bytes, 2 `ev-`
/// likewise. Every varint is minimal and an id of those shapes is always kept compact, so a record
/// has one encoding. Bit 15 (version 2, `contact.added` only, bits 4 and 12 clear) marks an erased
/// address (docs/erasure.md): after the other fields, the 32-byte address digest, then the address
/// problem as a varint-length string, empty when the address was dialable.
package enum EventRecord {
    /// The record format this code writes; it reads 1 and 2.
    package static let version: UInt8 = 2

    /// The bits of the presence bitmap, in field order.
    enum Bit: UInt16 {
        case id = 0, contact, channel, name, address, status, attempt, code, reason, providerRef, actor
        case meta, addressSalt

        var mask: UInt16 { 1 << rawValue }
    }

    static let knownBits: UInt16 = (1 << 13) - 1
    /// Version 2: how the id is kept (bits 13–14).
    static let idFormShift: UInt16 = 13
    static let idFormMask: UInt16 = 0b11 << 13
    /// Version 2: the address was erased; its digest and problem follow the other fields.
    static let erasedBit: UInt16 = 1 << 15
    static let knownBitsV2: UInt16 = knownBits | idFormMask | erasedBit

    /// The compact forms of an id (version 2): a prefix and 16 bytes shown as 32 lowercase hex
    /// digits, as the ledger assigns them (interchange.md §2).
    enum IDForm: UInt16 {
        case text = 0, imported = 1, appended = 2

        var prefix: StaticString {
            switch self {
            case .text: ""
            case .imported: "imp-"
            case .appended: "ev-"
            }
        }

        /// The compact form of `id` and its 16 bytes, or nil when it is kept as text.
        static func compact(_ id: String) -> (IDForm, [UInt8])? {
            var id = id
            return id.withUTF8 { u -> (IDForm, [UInt8])? in
                let form: IDForm
                if u.count == 36 && u[0] == 0x69 && u[1] == 0x6D && u[2] == 0x70 && u[3] == 0x2D {  // imp-
                    form = .imported
                } else if u.count == 35 && u[0] == 0x65 && u[1] == 0x76 && u[2] == 0x2D {  // ev-
                    form = .appended
                } else {
                    return nil
                }
                let hex = UnsafeBufferPointer(rebasing: u[(u.count - 32)...])
                var out = [UInt8](repeating: 0, count: 16)
                for i in 0..<16 {
                    guard let hi = lowerHexValue(hex[2 * i]), let lo = lowerHexValue(hex[2 * i + 1]) else { return nil }
                    out[i] = hi << 4 | lo
                }
                return (form, out)
            }
        }

        static func lowerHexValue(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }

        /// The id of a compact form.
        func render(_ bytes: UnsafeRawBufferPointer) -> String {
            let digits: [UInt8] = Array("0123456789abcdef".utf8)
            let p = prefix
            let count = p.utf8CodeUnitCount + 2 * bytes.count
            return String(unsafeUninitializedCapacity: count) { out in
                var i = 0
                for k in 0..<p.utf8CodeUnitCount {
                    out[i] = p.utf8Start[k]
                    i += 1
                }
                for b in bytes {
                    out[i] = digits[Int(b >> 4)]
                    out[i + 1] = digits[Int(b & 15)]
                    i += 2
                }
                return count
            }
        }
    }

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

    /// The record of an event, in `version` (2 unless a test or a format-1 tool asks for 1).
    /// Preconditions (programming errors, not data errors): `hash` has 32 bytes, `addressSalt`
    /// (when present) 16, `attempt` (when present) fits 0…2³²−1.
    package static func encode(_ r: RecordedEvent, version: UInt8 = version) -> [UInt8] {
        precondition(r.hash.count == 32, "a hash has 32 bytes")
        precondition(r.addressSalt == nil || r.addressSalt!.count == 16, "an address salt has 16 bytes")
        precondition(version == 1 || version == 2, "record versions 1 and 2")
        let e = r.event
        let v2 = version == 2
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
        if let erased = e.erasedAddress {
            precondition(v2 && e.type == .contactAdded && e.address == nil && r.addressSalt == nil, "an erased address is kept alone, in version 2")
            precondition(erased.digest.count == 32, "an address digest has 32 bytes")
            presence |= erasedBit
        }
        let compactID = v2 ? e.id.flatMap(IDForm.compact) : nil
        if let (form, _) = compactID { presence |= form.rawValue << idFormShift }
        out.append(UInt8(presence >> 8))
        out.append(UInt8(presence & 0xFF))
        func string(_ s: String) { v2 ? putVarintString(s, &out) : putString(s, &out) }
        string(e.campaign)
        string(e.at)
        if let (_, bytes) = compactID {
            out.append(contentsOf: bytes)
        } else if let v = e.id {
            string(v)
        }
        if let v = e.contact { string(v) }
        if let v = e.channel { out.append(channelCode(v)) }
        if let v = e.name { string(v) }
        if let v = e.address { string(v) }
        if let v = e.status { out.append(v.code) }
        if let v = e.attempt {
            precondition(v >= 0 && v <= Int(UInt32.max), "attempt fits u32")
            v2 ? putVarint(UInt64(v), &out) : put32(UInt32(v), &out)
        }
        if let v = e.code { string(v) }
        if let v = e.reason { string(v) }
        if let v = e.providerRef { string(v) }
        if let v = e.actor { string(v) }
        if let v = e.meta { string(v) }
        if let v = r.addressSalt { out.append(contentsOf: v) }
        if let erased = e.erasedAddress {
            out.append(contentsOf: erased.digest)
            putVarintString(erased.problem ?? "", &out)
        }
        return out
    }

    static func put(_ v: UInt64, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) }
    }

    static func put32(_ v: UInt32, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) }
    }

    /// Unsigned LEB128: 7 bits per byte, low groups first, the high bit set on all but the last.
    static func putVarint(_ v: UInt64, _ out: inout [UInt8]) {
        var v = v
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    static func putString(_ s: String, _ out: inout [UInt8]) {
        var s = s
        s.withUTF8 { utf8 in
            put32(UInt32(utf8.count), &out)
            out.append(contentsOf: utf8)
        }
    }

    static func putVarintString(_ s: String, _ out: inout [UInt8]) {
        var s = s
        s.withUTF8 { utf8 in
            putVarint(UInt64(utf8.count), &out)
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

    /// A minimal unsigned LEB128 varint of at most 32 bits (lengths and attempts).
    @inline(__always)
    mutating func varint32(_ what: String) throws(RecordDecodeError) -> UInt32 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte(what)
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 {
                guard b != 0 || shift == 0 else { throw error("\(what) is not a minimal varint") }
                guard v <= UInt64(UInt32.max) else { throw error("\(what) is out of range") }
                return UInt32(v)
            }
            shift += 7
            guard shift < 35 else { throw error("\(what) is out of range") }
        }
    }

    /// Whether lengths are varints (record version 2) or u32 (version 1).
    var varintLengths = false

    /// A length-prefixed string, checked to be UTF-8 (unless `check` is false) but not copied.
    @inline(__always)
    mutating func text(_ what: String, check: Bool = true) throws(RecordDecodeError) -> RecordView.Text {
        let n = Int(varintLengths ? try varint32(what) : try u32(what))
        try need(n, what)
        guard !check || UTF8Check.isValid(UnsafeRawBufferPointer(rebasing: p[i..<i + n])) else {
            throw error("\(what) is not UTF-8")
        }
        defer { i += n }
        return RecordView.Text(offset: UInt32(i), count: UInt32(n))
    }
}
