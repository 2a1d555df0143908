/// A mergeable histogram of non-negative durations (integer nanoseconds) that supports adding
/// and removing values, for the per-campaign timings of domain.md §6.
///
/// Buckets: values below 128 are exact; above, each power of two is split into 128 equal
/// sub-buckets, so a bucket's width is at most 1/128 of its lower bound. Each bucket keeps its
/// count and the sum of its values' offsets from the bucket's lower bound, and answers with the
/// mean of its values: always inside the bucket (within 0.8 % of every value in it) and exact when
/// the bucket's values are equal. Zero is exact. Nearest-rank percentiles are therefore within
/// 1 % of the exact ones; `count` is exact. The max is not exact under removal: callers keep it
/// separately (`ExactTimings`, or the store's index).
///
/// Only occupied buckets are stored, sorted by index.
package struct TimingHistogram: Sendable, Hashable {
    /// Sub-buckets per power of two.
    static let subBuckets = 128
    /// The greatest bucket index (that of `Int64.max`).
    static let maxIndex = bucket(of: Int64.max)

    /// Occupied bucket indexes, strictly increasing, and their counts (all > 0).
    private var indexes: [UInt16] = []
    private var counts: [Int] = []
    /// Per bucket, the sum of (value − bucket's lower bound), modulo 2⁶⁴ (exact removal).
    private var offsetSums: [UInt64] = []
    /// The number of values.
    package private(set) var count = 0

    package init() {}

    package var isEmpty: Bool { count == 0 }

    /// The bucket index of a non-negative value.
    @inline(__always)
    static func bucket(of value: Int64) -> Int {
        if value < Int64(subBuckets) { return Int(max(0, value)) }
        let exponent = 63 - value.leadingZeroBitCount
        let shift = exponent - 7
        return (exponent - 6) * subBuckets + Int((value >> Int64(shift)) & 127)
    }

    /// The lower bound and width of bucket `index`.
    @inline(__always)
    static func bounds(of index: Int) -> (low: Int64, width: Int64) {
        if index < subBuckets { return (Int64(index), 1) }
        let exponent = index / subBuckets + 6
        let shift = Int64(exponent - 7)
        return (Int64(subBuckets + index % subBuckets) << shift, Int64(1) << shift)
    }

    /// The value that stands for bucket `i` (a position in the arrays): the mean of its values
    /// when their offset sum is known to fit in 64 bits, else the bucket's midpoint.
    @inline(__always)
    private func representative(at i: Int) -> Int64 {
        let (low, width) = Self.bounds(of: Int(indexes[i]))
        let n = counts[i]
        guard !UInt64(n).multipliedReportingOverflow(by: UInt64(width)).overflow else {
            return low + width / 2
        }
        return low + Int64(offsetSums[i] / UInt64(n))
    }

    @inline(__always)
    private static func offset(_ value: Int64, in index: Int) -> UInt64 {
        UInt64(value - bounds(of: index).low)
    }

    @inline(__always)
    private func position(of index: UInt16) -> (found: Bool, at: Int) {
        var lo = 0
        var hi = indexes.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if indexes[mid] < index { lo = mid + 1 } else { hi = mid }
        }
        return (lo < indexes.count && indexes[lo] == index, lo)
    }

    /// Adds one value; negative values are not durations and are ignored.
    package mutating func add(_ value: Int64) {
        guard value >= 0 else { return }
        let bucket = Self.bucket(of: value)
        let offset = Self.offset(value, in: bucket)
        let (found, at) = position(of: UInt16(bucket))
        if found {
            counts[at] += 1
            offsetSums[at] &+= offset
        } else {
            indexes.insert(UInt16(bucket), at: at)
            counts.insert(1, at: at)
            offsetSums.insert(offset, at: at)
        }
        count += 1
    }

    /// Removes one value added before; returns false (and changes nothing) when its bucket is
    /// empty or the value is negative.
    @discardableResult
    package mutating func remove(_ value: Int64) -> Bool {
        guard value >= 0 else { return false }
        let bucket = Self.bucket(of: value)
        let (found, at) = position(of: UInt16(bucket))
        guard found else { return false }
        if counts[at] == 1 {
            indexes.remove(at: at)
            counts.remove(at: at)
            offsetSums.remove(at: at)
        } else {
            counts[at] -= 1
            offsetSums[at] &-= Self.offset(value, in: bucket)
        }
        count -= 1
        return true
    }

    /// Adds every value of `other`.
    package mutating func merge(_ other: TimingHistogram) {
        guard !other.isEmpty else { return }
        guard !isEmpty else {
            self = other
            return
        }
        var newIndexes: [UInt16] = []
        var newCounts: [Int] = []
        var newSums: [UInt64] = []
        newIndexes.reserveCapacity(indexes.count + other.indexes.count)
        newCounts.reserveCapacity(indexes.count + other.indexes.count)
        newSums.reserveCapacity(indexes.count + other.indexes.count)
        var i = 0
        var j = 0
        while i < indexes.count || j < other.indexes.count {
            if j == other.indexes.count || (i < indexes.count && indexes[i] < other.indexes[j]) {
                newIndexes.append(indexes[i])
                newCounts.append(counts[i])
                newSums.append(offsetSums[i])
                i += 1
            } else if i == indexes.count || other.indexes[j] < indexes[i] {
                newIndexes.append(other.indexes[j])
                newCounts.append(other.counts[j])
                newSums.append(other.offsetSums[j])
                j += 1
            } else {
                newIndexes.append(indexes[i])
                newCounts.append(counts[i] + other.counts[j])
                newSums.append(offsetSums[i] &+ other.offsetSums[j])
                i += 1
                j += 1
            }
        }
        indexes = newIndexes
        counts = newCounts
        offsetSums = newSums
        count += other.count
    }

    /// The nearest-rank `p`-th percentile (the value at rank ⌈p·n/100⌉ of the sorted values), as
    /// the mean of its bucket; nil when empty.
    package func percentile(_ p: Int) -> Int64? {
        guard count > 0 else { return nil }
        let rank = max(1, min(count, (p * count + 99) / 100))
        var seen = 0
        for (i, c) in counts.enumerated() {
            seen += c
            if seen >= rank { return representative(at: i) }
        }
        return approximateMax
    }

    /// The mean of the highest occupied bucket (within 0.8 % of the true max).
    package var approximateMax: Int64? {
        indexes.isEmpty ? nil : representative(at: indexes.count - 1)
    }
}

// MARK: - Binary form

extension TimingHistogram {
    /// Layout: bucket count varint, then per occupied bucket the index delta from the previous
    /// bucket (the first from 0), the count and the offset sum, all varints.
    func encode(into w: inout DomainByteWriter) {
        w.count(indexes.count)
        var previous = 0
        for (i, index) in indexes.enumerated() {
            w.count(Int(index) - previous)
            w.count(counts[i])
            w.varint(offsetSums[i])
            previous = Int(index)
        }
    }

    init(from r: inout DomainByteReader) throws(DomainDecodingError) {
        self.init()
        let n = try r.count(max: min(r.remaining / 3, Self.maxIndex + 1), "histogram size")
        indexes.reserveCapacity(n)
        counts.reserveCapacity(n)
        offsetSums.reserveCapacity(n)
        var previous = 0
        for i in 0..<n {
            let delta = try r.count(max: Self.maxIndex, "histogram index")
            guard i == 0 || delta > 0 else { throw .invalid("histogram index order") }
            let index = previous + delta
            guard index <= Self.maxIndex else { throw .invalid("histogram index") }
            let c = try r.count(max: Int(Int32.max), "histogram count")
            guard c > 0 else { throw .invalid("histogram count") }
            let sum = try r.varint()
            let (bound, overflow) = UInt64(c).multipliedReportingOverflow(by: UInt64(
                Self.bounds(of: index).width - 1))
            guard overflow || sum <= bound else { throw .invalid("histogram offset sum") }
            indexes.append(UInt16(index))
            counts.append(c)
            offsetSums.append(sum)
            count += c
            previous = index
        }
    }

    /// A standalone binary form: version u8 (1), then the layout of `encode(into:)`.
    package func encoded() -> [UInt8] {
        var w = DomainByteWriter(capacity: 4 + 8 * indexes.count)
        w.byte(1)
        encode(into: &w)
        return w.bytes
    }

    package init(decoding bytes: [UInt8]) throws(DomainDecodingError) {
        var r = DomainByteReader(bytes)
        let version = try r.byte()
        guard version == 1 else { throw .unsupportedVersion(version) }
        try self.init(from: &r)
        try r.finish()
    }
}
