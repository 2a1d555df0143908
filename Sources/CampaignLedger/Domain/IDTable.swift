#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Interns ids (UTF-8 byte strings) as dense slots 0, 1, 2, … in the order first inserted, and
/// finds an id's slot from its bytes without making a `String` of them: a fold reading records in
/// place looks up a contact per event, and a `String` per lookup (a heap copy for ids over 15
/// bytes, plus a SipHash) would be the largest cost of a rebuild.
///
/// Open addressing with linear probing over a power-of-two table of slot numbers; the ids' bytes
/// live in one growing array. The hash is seeded per table, so crafted ids cannot be chosen to
/// collide.
struct IDTable: Sendable {
    /// For each bucket: 0 when empty, else the high 32 bits of the id's hash and its slot + 1
    /// (the low 32 bits). A lookup compares the hash bits in the bucket it reads before it
    /// touches the id's bytes: one cache miss per probe, not three.
    private var buckets: [UInt64] = Array(repeating: 0, count: 16)
    /// Each slot's id: its start in `bytes`, and its length.
    private var starts: [Int] = [0]
    private var bytes: [UInt8] = []
    private let seed = UInt64.random(in: .min ... .max)

    /// The number of ids.
    var count: Int { starts.count - 1 }

    @inline(__always)
    private static func tag(_ h: UInt64) -> UInt64 { h & 0xFFFF_FFFF_0000_0000 }

    /// The slot of the id whose UTF-8 bytes are `key`, or nil.
    func slot(_ key: UnsafeRawBufferPointer) -> Int? {
        let h = hash(key)
        let mask = buckets.count - 1
        var b = Int(truncatingIfNeeded: h) & mask
        return buckets.withUnsafeBufferPointer { buckets in
            while true {
                let entry = buckets[b]
                if entry == 0 { return nil }
                if entry & 0xFFFF_FFFF_0000_0000 == Self.tag(h) {
                    let s = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                    if equals(s, key) { return s }
                }
                b = (b + 1) & mask
            }
        }
    }

    func slot(_ id: String) -> Int? {
        var id = id
        return id.withUTF8 { slot(UnsafeRawBufferPointer($0)) }
    }

    /// The id's slot, inserting it (as the next slot) when absent; `inserted` says which.
    mutating func insert(_ key: UnsafeRawBufferPointer) -> (slot: Int, inserted: Bool) {
        let h = hash(key)
        var b = Int(truncatingIfNeeded: h) & (buckets.count - 1)
        while true {
            let entry = buckets[b]
            if entry == 0 { break }
            if entry & 0xFFFF_FFFF_0000_0000 == Self.tag(h) {
                let s = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                if equals(s, key) { return (s, false) }
            }
            b = (b + 1) & (buckets.count - 1)
        }
        let s = count
        precondition(s < Int(UInt32.max), "more than 4 294 967 294 ids in one table")
        bytes.append(contentsOf: key)
        starts.append(bytes.count)
        buckets[b] = Self.tag(h) | UInt64(s + 1)
        if count * 4 > buckets.count * 3 { grow() }
        return (s, true)
    }

    mutating func insert(_ id: String) -> (slot: Int, inserted: Bool) {
        var id = id
        return id.withUTF8 { insert(UnsafeRawBufferPointer($0)) }
    }

    /// The id of `slot`.
    func id(_ slot: Int) -> String {
        String(decoding: bytes[starts[slot]..<starts[slot + 1]], as: UTF8.self)
    }


    /// Calls `body` with the UTF-8 bytes of the id of `slot`.
    @inline(__always)
    func withIDBytes<R>(_ slot: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let (start, end) = (starts[slot], starts[slot + 1])
        return try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
    }

    /// Every slot, ordered by its id's bytes as LMDB orders keys (memcmp, then length). Compares
    /// the first 16 bytes as two integers, and the rest only when those are equal.
    func sortedSlots() -> [Int32] {
        var keyed: [(hi: UInt64, lo: UInt64, slot: Int32)] = []
        keyed.reserveCapacity(count)
        bytes.withUnsafeBytes { all in
            for s in 0..<count {
                let (start, end) = (starts[s], starts[s + 1])
                var w: (UInt64, UInt64) = (0, 0)
                withUnsafeMutableBytes(of: &w) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[start..<min(end, start + 16)])) }
                keyed.append((UInt64(bigEndian: w.0), UInt64(bigEndian: w.1), Int32(s)))
            }
            keyed.sort { a, b in
                if a.hi != b.hi { return a.hi < b.hi }
                if a.lo != b.lo { return a.lo < b.lo }
                let (sa, sb) = (Int(a.slot), Int(b.slot))
                return keyPrecedes(
                    UnsafeRawBufferPointer(rebasing: all[starts[sa]..<starts[sa + 1]]),
                    UnsafeRawBufferPointer(rebasing: all[starts[sb]..<starts[sb + 1]]))
            }
        }
        return keyed.map(\.slot)
    }

    private func equals(_ s: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let start = starts[s]
        let n = starts[s + 1] - start
        guard n == key.count else { return false }
        return bytes.withUnsafeBytes { all in
            n == 0 || memcmp(all.baseAddress! + start, key.baseAddress!, n) == 0
        }
    }

    /// Doubles the buckets; each id's hash is computed again from its bytes (keeping them would
    /// cost 8 bytes per id for a rare event).
    private mutating func grow() {
        let size = buckets.count * 2
        var grown = [UInt64](repeating: 0, count: size)
        bytes.withUnsafeBytes { all in
            for s in 0..<count {
                let h = hash(UnsafeRawBufferPointer(rebasing: all[starts[s]..<starts[s + 1]]))
                var b = Int(truncatingIfNeeded: h) & (size - 1)
                while grown[b] != 0 { b = (b + 1) & (size - 1) }
                grown[b] = Self.tag(h) | UInt64(s + 1)
            }
        }
        buckets = grown
    }

    /// A seeded 64-bit hash: eight bytes at a time, each word mixed by a multiply and a
    /// rotation, the whole finished by a murmur-style avalanche.
    @inline(__always)
    private func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var h = seed ^ (UInt64(key.count) &* 0x9E37_79B9_7F4A_7C15)
        var i = 0
        while i + 8 <= key.count {
            let w = key.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ (w &* 0xC2B2_AE3D_27D4_EB4F)).rotatedLeft(31) &* 0x9E37_79B9_7F4A_7C15
            i += 8
        }
        if i < key.count {
            var w: UInt64 = 0
            for k in i..<key.count { w |= UInt64(key[k]) << UInt64((k - i) * 8) }
            h = (h ^ (w &* 0xC2B2_AE3D_27D4_EB4F)).rotatedLeft(31) &* 0x9E37_79B9_7F4A_7C15
        }
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 33)
    }
}

extension UInt64 {
    @inline(__always)
    fileprivate func rotatedLeft(_ n: UInt64) -> UInt64 { self << n | self >> (64 - n) }
}
