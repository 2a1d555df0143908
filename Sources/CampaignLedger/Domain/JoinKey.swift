/// The key of one report in the join of domain.md §3. Keys compare as tuples
/// `(tier, attempt, rank)`; only tier 1 uses the attempt (every other tier has attempt 0), and the
/// contact's state is the state of the report with the greatest key.
package struct JoinKey: Sendable, Hashable, Comparable {
    package let tier: Int
    package let attempt: Int
    package let rank: Int

    package init(tier: Int, attempt: Int, rank: Int) {
        self.tier = tier
        self.attempt = attempt
        self.rank = rank
    }

    /// The key of a report of a state with `info` in the report's resolved `attempt`:
    /// `(1, attempt, rank)` in tier 1, `(tier, 0, rank)` otherwise.
    @inline(__always)
    package init(_ info: StateInfo, attempt: Int) {
        tier = info.tier
        self.attempt = info.tier == 1 ? attempt : 0
        rank = info.rank
    }

    /// The key of `contact.added` with a valid address: `(0, 0, 0)`.
    package static let initial = JoinKey(tier: 0, attempt: 0, rank: 0)
    /// The key of `contact.removed`: `(2, 0, 2)`.
    package static let removed = JoinKey(tier: 2, attempt: 0, rank: 2)
    /// The key of `contact.added` with an invalid address: `(4, 0, 0)`.
    package static let invalidRecord = JoinKey(tier: 4, attempt: 0, rank: 0)

    @inline(__always)
    package static func < (lhs: JoinKey, rhs: JoinKey) -> Bool {
        if lhs.tier != rhs.tier { return lhs.tier < rhs.tier }
        if lhs.attempt != rhs.attempt { return lhs.attempt < rhs.attempt }
        return lhs.rank < rhs.rank
    }
}
