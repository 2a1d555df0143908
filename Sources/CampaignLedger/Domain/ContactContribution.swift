/// What one contact contributes to its campaign's metrics (domain.md §6). The store keeps a
/// campaign's counters by subtracting a contact's old contribution and adding its new one on every
/// report about it, so a campaign is updated in O(1) per event.
package struct ContactContribution: Sendable, Hashable {
    /// The current (joined) state and its class.
    package var state: ContactState
    package var stateClass: StateClass
    /// Messaging: ever `sent`, `delivered`, `read`, `responded` or `delivery_failed`.
    package var everSent: Bool
    /// Telephone: ever `calling`, `call_in_progress`, `acw`, `success`, `canceled_by_client` or
    /// `unreachable`.
    package var everDialed: Bool
    /// Telephone: ever `call_in_progress`, `acw` or `success`.
    package var everConnected: Bool
    /// Telephone: ever `canceled_by_client`.
    package var everAbandoned: Bool
    /// The highest attempt among the dispatch reports, 0 with none.
    package var dispatchAttempt: Int
    /// The explaining report's `code` when the class is failure (else nil).
    package var failureCode: String?
    /// Messaging, in ns: earliest delivered/read/responded `at` − earliest sent `at`, when both
    /// exist and the difference is ≥ 0.
    package var timeToDeliver: Int64?
    /// Messaging, in ns: earliest read `at` − earliest sent `at`, when both exist and ≥ 0.
    package var timeToRead: Int64?

    package init(
        state: ContactState, stateClass: StateClass, everSent: Bool = false,
        everDialed: Bool = false, everConnected: Bool = false, everAbandoned: Bool = false,
        dispatchAttempt: Int = 0, failureCode: String? = nil, timeToDeliver: Int64? = nil,
        timeToRead: Int64? = nil
    ) {
        self.state = state
        self.stateClass = stateClass
        self.everSent = everSent
        self.everDialed = everDialed
        self.everConnected = everConnected
        self.everAbandoned = everAbandoned
        self.dispatchAttempt = dispatchAttempt
        self.failureCode = failureCode
        self.timeToDeliver = timeToDeliver
        self.timeToRead = timeToRead
    }

    /// The contribution of a contact's fold in a campaign of `family`.
    package init(_ fold: borrowing ContactFold, family: ChannelFamily) {
        state = fold.state
        let cls = family.info(fold.state)?.stateClass ?? fold.state.stateClass
        stateClass = cls
        let ever = fold.everMask
        everSent = ever & StateSets.everSent != 0
        everDialed = ever & StateSets.everDialed != 0
        everConnected = ever & StateSets.everConnected != 0
        everAbandoned = ever & StateSets.everAbandoned != 0
        dispatchAttempt = fold.dispatchAttempt
        failureCode = cls == .failure ? fold.code : nil
        if family == .messaging, let sent = fold.firstSentNanos {
            timeToDeliver = Self.difference(fold.firstReachedNanos, sent)
            timeToRead = Self.difference(fold.firstReadNanos, sent)
        } else {
            timeToDeliver = nil
            timeToRead = nil
        }
    }

    @inline(__always)
    private static func difference(_ end: Int64?, _ start: Int64) -> Int64? {
        guard let end else { return nil }
        let (d, overflow) = end.subtractingReportingOverflow(start)
        return !overflow && d >= 0 ? d : nil
    }
}
