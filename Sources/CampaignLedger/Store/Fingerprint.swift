import Foundation
import LMDB

/// A build's state fingerprint (DESIGN.md §4): the sum modulo 2²⁵⁶ of SHA-256(key ‖ value) over
/// all its records. Kept incrementally — a record written adds its hash and subtracts the one
/// it replaced — so two builds at the same position compare in O(1), and the order records were
/// written in does not matter.
struct Fingerprint: Sendable, Hashable {
    /// Four 64-bit limbs, most significant first (a value, so adding a term allocates nothing).
    private var l0: UInt64 = 0, l1: UInt64 = 0, l2: UInt64 = 0, l3: UInt64 = 0

    init() {}

    init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        let b = Array(bytes)
        func limb(_ i: Int) -> UInt64 { b[(i * 8)..<(i * 8 + 8)].reduce(0) { $0 << 8 | UInt64($1) } }
        self.init(limbs: (limb(0), limb(1), limb(2), limb(3)))
    }

    private init(limbs: (UInt64, UInt64, UInt64, UInt64)) {
        (l0, l1, l2, l3) = limbs
    }

    var bytes: [UInt8] { [l0, l1, l2, l3].flatMap(\.bigEndianBytes) }

    /// The term of the record `key ‖ value`.
    static func term(_ key: some ContiguousBytes, _ value: some ContiguousBytes) -> Fingerprint {
        SHA256Digest.withDigest(of: key, value) { Fingerprint(digest: $0) }
    }

    /// The term of a record whose key and value lie back to back in `record`.
    static func term(record: UnsafeRawBufferPointer) -> Fingerprint {
        SHA256Digest.withDigest(of: record) { Fingerprint(digest: $0) }
    }

    private init(digest d: UnsafeRawBufferPointer) {
        self.init(limbs: (
            UInt64(bigEndian: d.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
            UInt64(bigEndian: d.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
            UInt64(bigEndian: d.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
            UInt64(bigEndian: d.loadUnaligned(fromByteOffset: 24, as: UInt64.self))))
    }

    mutating func add(_ other: Fingerprint) {
        var carry = false
        (l3, carry) = Self.add(l3, other.l3, false)
        (l2, carry) = Self.add(l2, other.l2, carry)
        (l1, carry) = Self.add(l1, other.l1, carry)
        (l0, _) = Self.add(l0, other.l0, carry)
    }

    mutating func subtract(_ other: Fingerprint) {
        var borrow = false
        (l3, borrow) = Self.subtract(l3, other.l3, false)
        (l2, borrow) = Self.subtract(l2, other.l2, borrow)
        (l1, borrow) = Self.subtract(l1, other.l1, borrow)
        (l0, _) = Self.subtract(l0, other.l0, borrow)
    }

    @inline(__always)
    private static func add(_ a: UInt64, _ b: UInt64, _ carry: Bool) -> (UInt64, Bool) {
        let (s1, o1) = a.addingReportingOverflow(b)
        let (s2, o2) = s1.addingReportingOverflow(carry ? 1 : 0)
        return (s2, o1 || o2)
    }

    @inline(__always)
    private static func subtract(_ a: UInt64, _ b: UInt64, _ borrow: Bool) -> (UInt64, Bool) {
        let (d1, o1) = a.subtractingReportingOverflow(b)
        let (d2, o2) = d1.subtractingReportingOverflow(borrow ? 1 : 0)
        return (d2, o1 || o2)
    }
}
