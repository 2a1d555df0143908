import CampaignLedger

/// The demo history's random source: xoshiro256** seeded through SplitMix64.
///
/// Everything here is integer or exactly-rounded IEEE arithmetic, so one seed gives the same
/// history on every run, platform and Swift version (the standard library's `random(in:using:)`
/// makes no such promise). Not for anything secret.
struct DemoRandom {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    init(seed: UInt64) {
        var state = seed
        func splitMix() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            return DemoRandom.mix(state)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
    }

    /// SplitMix64's finalizer: a bijection on UInt64 that scatters neighbouring inputs, used to
    /// derive per-campaign seeds and event ids that never collide.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next() -> UInt64 {
        let result = rotate(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotate(s3, 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1), 53 random bits.
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// Uniform in `0..<n` (multiply-high; the bias is below 2⁻³² for the sizes used here).
    mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        return Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// Uniform in `lo...hi`.
    mutating func between(_ lo: Int64, _ hi: Int64) -> Int64 {
        lo + Int64(below(Int(hi - lo) + 1))
    }

    /// In `lo...hi`, skewed towards `lo` (most provider delays are short, a few are long).
    mutating func skewed(_ lo: Int64, _ hi: Int64) -> Int64 {
        let u = unit()
        return lo + Int64(Double(hi - lo) * u * u * u)
    }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// Lowercase hex digits.
    mutating func hex(_ count: Int) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        var word = next()
        for i in 0..<count {
            if i > 0 && i % 16 == 0 { word = next() }
            bytes.append(DemoRandom.hexDigits[Int(word & 0xF)])
            word >>= 4
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Letters and digits, as in the opaque tail of a WhatsApp message id.
    mutating func alphanumeric(_ count: Int) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for _ in 0..<count { bytes.append(DemoRandom.alphabet[below(DemoRandom.alphabet.count)]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `count` decimal digits.
    mutating func digits(_ count: Int) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for _ in 0..<count { bytes.append(UInt8(ascii: "0") + UInt8(below(10))) }
        return String(decoding: bytes, as: UTF8.self)
    }

    static let hexDigits = Array("0123456789abcdef".utf8)
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// 16 hex digits of a 64-bit value, most significant first.
    static func hex16(_ value: UInt64) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        var v = value
        for i in stride(from: 15, through: 0, by: -1) {
            bytes[i] = hexDigits[Int(v & 0xF)]
            v >>= 4
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
