/// An in-memory multiset of durations (value → count) with an exact max and exact nearest-rank
/// percentiles, for folds that hold everything in memory (the in-memory projector, tests). The
/// store keeps the exact max in a sorted index instead.
package struct ExactTimings: Sendable, Hashable {
    private var counts: [Int64: Int] = [:]
    /// The number of values.
    package private(set) var count = 0
    /// The greatest value, exact under removal; nil when empty.
    package private(set) var max: Int64?

    package init() {}

    package mutating func add(_ value: Int64) {
        counts[value, default: 0] += 1
        count += 1
        if max.map({ value > $0 }) ?? true { max = value }
    }

    /// Removes one occurrence; returns false (and changes nothing) when the value is absent.
    @discardableResult
    package mutating func remove(_ value: Int64) -> Bool {
        guard let c = counts[value] else { return false }
        count -= 1
        if c > 1 {
            counts[value] = c - 1
        } else {
            counts[value] = nil
            if value == max { max = counts.keys.max() }
        }
        return true
    }

    package mutating func merge(_ other: ExactTimings) {
        for (value, c) in other.counts { counts[value, default: 0] += c }
        count += other.count
        if let m = other.max, max.map({ m > $0 }) ?? true { max = m }
    }

    /// The exact nearest-rank `p`-th percentile; nil when empty. O(distinct values · log).
    package func percentile(_ p: Int) -> Int64? {
        guard count > 0 else { return nil }
        let rank = Swift.max(1, Swift.min(count, (p * count + 99) / 100))
        var seen = 0
        for value in counts.keys.sorted() {
            seen += counts[value] ?? 0
            if seen >= rank { return value }
        }
        return max
    }

    /// Every value, sorted (with repetitions).
    package var sortedValues: [Int64] {
        counts.keys.sorted().flatMap { Array(repeating: $0, count: counts[$0] ?? 0) }
    }
}
