import Crypto

/// A build's state fingerprint (DESIGN.md §4): the sum modulo 2²⁵⁶ of SHA-256(key ‖ value) over
/// all its records. Kept incrementally — a record written adds its hash and subtracts the one
/// it replaced — so two builds at the same position compare in O(1), and the order records were
/// written in does not matter.
struct Fingerprint: Sendable, Hashable {
    /// Four 64-bit limbs, most significant first.
    private(set) var limbs: [UInt64] = [0, 0, 0, 0]

    init() {}

    init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        for (k, b) in bytes.enumerated() { limbs[k / 8] = limbs[k / 8] << 8 | UInt64(b) }
    }

    var bytes: [UInt8] { limbs.flatMap(\.bigEndianBytes) }

    static func term(_ key: [UInt8], _ value: some Collection<UInt8>) -> Fingerprint {
        var hasher = SHA256()
        hasher.update(data: key)
        hasher.update(data: Array(value))
        return hasher.finalize().withUnsafeBytes { Fingerprint(bytes: $0)! }
    }

    mutating func add(_ other: Fingerprint) {
        var carry: UInt64 = 0
        for i in stride(from: 3, through: 0, by: -1) {
            let (s1, o1) = limbs[i].addingReportingOverflow(other.limbs[i])
            let (s2, o2) = s1.addingReportingOverflow(carry)
            limbs[i] = s2
            carry = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
    }

    mutating func subtract(_ other: Fingerprint) {
        var borrow: UInt64 = 0
        for i in stride(from: 3, through: 0, by: -1) {
            let (d1, o1) = limbs[i].subtractingReportingOverflow(other.limbs[i])
            let (d2, o2) = d1.subtractingReportingOverflow(borrow)
            limbs[i] = d2
            borrow = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
    }
}
