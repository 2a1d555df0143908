/// Why a persisted domain record (a contact fold, a campaign aggregate, a histogram) could not be
/// decoded. Decoding never traps: every read is bounds-checked and every value range-checked.
public enum DomainDecodingError: Error, Sendable, Hashable {
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
struct DomainByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func byte(_ b: UInt8) { bytes.append(b) }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// A non-negative Int as a varint (negative values are written as 0; callers never pass them).
    mutating func count(_ value: Int) { varint(UInt64(max(0, value))) }

    mutating func signed(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func text(_ t: FoldText) {
        t.withBytes { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
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
