/// Why a persisted domain record (a contact fold, a campaign aggregate, a histogram) could not be
/// decoded. Decoding never traps: every read is bounds-checked and every value range-checked.
package enum DomainDecodingError: Error, Sendable, Hashable {
    /// The record ended before a field was complete.
    case truncated
    /// The record starts with a format version this code does not know.
    case unsupportedVersion(UInt8)
    /// A field holds a value outside its range (the name says which).
    case invalid(String)
    /// Bytes remain after the last field.
    case trailingBytes(Int)
}

/// Appends the primitive fields of the domain's binary records: bytes, LEB128 varints, zigzag
/// varints and length-prefixed UTF-8 strings (docs/format.md describes each record's layout).
///
/// Writes into a buffer it owns (noncopyable, freed when it ends): a rebuild encodes hundreds of
/// thousands of folds, and an array would check its uniqueness and capacity on every byte (a
/// large share of the encoding).
struct DomainByteWriter: ~Copyable {
    private var base: UnsafeMutableRawPointer
    private var capacity: Int
    /// The number of bytes written.
    private(set) var count = 0

    init(capacity: Int = 64) {
        self.capacity = max(capacity, 16)
        base = .allocate(byteCount: self.capacity, alignment: 8)
    }

    deinit { base.deallocate() }

    /// The bytes written, copied.
    var bytes: [UInt8] { withBytes { Array($0) } }

    /// The bytes written, for the duration of `body`.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Forgets what was written, keeping the buffer.
    mutating func removeAll() { count = 0 }

    @inline(__always)
    private mutating func reserve(_ more: Int) {
        guard count + more > capacity else { return }
        let grown = max(capacity * 2, count + more)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 8)
        buffer.copyMemory(from: base, byteCount: count)
        base.deallocate()
        (base, capacity) = (buffer, grown)
    }

    mutating func byte(_ b: UInt8) {
        reserve(1)
        base.storeBytes(of: b, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    mutating func append(_ raw: UnsafeRawBufferPointer) {
        guard let from = raw.baseAddress, !raw.isEmpty else { return }
        reserve(raw.count)
        (base + count).copyMemory(from: from, byteCount: raw.count)
        count += raw.count
    }

    mutating func varint(_ value: UInt64) {
        reserve(10)
        var v = value
        while v >= 0x80 {
            base.storeBytes(of: UInt8(truncatingIfNeeded: v) | 0x80, toByteOffset: count, as: UInt8.self)
            count += 1
            v >>= 7
        }
        base.storeBytes(of: UInt8(v), toByteOffset: count, as: UInt8.self)
        count += 1
    }

    /// A non-negative Int as a varint (negative values are written as 0; callers never pass them).
    mutating func count(_ value: Int) { varint(UInt64(max(0, value))) }

    mutating func signed(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func text(_ t: FoldText) {
        t.withBytes { utf8 in
            varint(UInt64(utf8.count))
            append(utf8)
        }
    }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            append(UnsafeRawBufferPointer(utf8))
        }
    }
}

/// Reads what `DomainByteWriter` wrote; every read checks the bounds and throws
/// `DomainDecodingError` instead of trapping.
struct DomainByteReader {
    private let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        offset = 0
    }

    var remaining: Int { bytes.count - offset }

    mutating func byte() throws(DomainDecodingError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func varint() throws(DomainDecodingError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            if shift == 63 && b > 1 { throw .invalid("varint overflow") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw .invalid("varint overflow") }
        }
    }

    /// A varint that must fit in `0...limit`.
    mutating func count(max limit: Int = Int.max, _ what: String) throws(DomainDecodingError) -> Int {
        let v = try varint()
        guard v <= UInt64(limit) else { throw .invalid(what) }
        return Int(v)
    }

    mutating func signed() throws(DomainDecodingError) -> Int64 {
        let v = try varint()
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    mutating func string(_ what: String) throws(DomainDecodingError) -> String {
        let length = try count(what)
        guard length <= remaining else { throw .truncated }
        let slice = bytes[offset..<(offset + length)]
        offset += length
        guard let s = String(validating: slice, as: UTF8.self) else { throw .invalid(what) }
        return s
    }

    mutating func text(_ what: String) throws(DomainDecodingError) -> FoldText {
        let length = try count(what)
        guard length <= remaining else { throw .truncated }
        defer { offset += length }
        let text = bytes.withUnsafeBytes { FoldText(validating: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + length)])) }
        guard let text else { throw .invalid(what) }
        return text
    }

    /// Throws unless every byte was consumed.
    func finish() throws(DomainDecodingError) {
        if remaining != 0 { throw .trailingBytes(remaining) }
    }
}

/// Byte-wise (code point) order of UTF-8 strings: the order of LMDB keys and of Python's `sorted`.
@inline(__always)
func utf8Precedes(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}
