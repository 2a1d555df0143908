/// Every contact state of both channel families (domain.md §2), plus the legacy messaging input
/// `successfully_submitted`, which is stored as reported and joins exactly as `sent`.
public enum ContactState: String, Sendable, CaseIterable, Hashable, Codable {
    // Both families
    case initial
    case canceledByAdmin = "canceled_by_admin"
    case blacklisted
    case removed
    case invalidRecord = "invalid_record"
    // Messaging
    case queued
    case retryScheduled = "retry_scheduled"
    case inProgress = "in_progress"
    case sent
    case successfullySubmitted = "successfully_submitted"
    case error
    case failed
    case deliveryFailed = "delivery_failed"
    case sendingFailed = "sending_failed"
    case invalidContact = "invalid_contact"
    case blockedOrSpam = "blocked_or_spam"
    case delivered
    case read
    case responded
    // Telephone
    case awaitingOperator = "awaiting_operator"
    case operatorAssigned = "operator_assigned"
    case bcw
    case calling
    case callInProgress = "call_in_progress"
    case acw
    case dialFailed = "dial_failed"
    case canceledByClient = "canceled_by_client"
    case unreachable
    case rejectedByOperator = "rejected_by_operator"
    case success

    /// A stable one-byte code used in binary records (docs/format.md). Never renumber.
    package var code: UInt8 {
        switch self {
        case .initial: 1
        case .canceledByAdmin: 2
        case .blacklisted: 3
        case .removed: 4
        case .invalidRecord: 5
        case .queued: 6
        case .retryScheduled: 7
        case .inProgress: 8
        case .sent: 9
        case .successfullySubmitted: 10
        case .error: 11
        case .failed: 12
        case .deliveryFailed: 13
        case .sendingFailed: 14
        case .invalidContact: 15
        case .blockedOrSpam: 16
        case .delivered: 17
        case .read: 18
        case .responded: 19
        case .awaitingOperator: 20
        case .operatorAssigned: 21
        case .bcw: 22
        case .calling: 23
        case .callInProgress: 24
        case .acw: 25
        case .dialFailed: 26
        case .canceledByClient: 27
        case .unreachable: 28
        case .rejectedByOperator: 29
        case .success: 30
        }
    }

    package init?(code: UInt8) {
        let index = Int(code) - 1
        guard index >= 0, index < ContactState.allCases.count else { return nil }
        self = ContactState.allCases[index]
    }

    /// The state a reported status joins as: itself, or `sent` for `successfully_submitted`.
    package var joined: ContactState { self == .successfullySubmitted ? .sent : self }
}

/// How a state counts for campaign status and metrics (domain.md §2, §4).
public enum StateClass: String, Sendable, Hashable, CaseIterable, Codable {
    case pending, failure, excluded, reached, invalid

    /// Settled contacts are those no longer waiting for anything (domain.md §4).
    public var isSettled: Bool { self != .pending }
}

/// A state's place in the join: its tier, its rank inside the tier, and its class (domain.md §2).
package struct StateInfo: Sendable, Hashable {
    package let tier: Int
    package let rank: Int
    package let stateClass: StateClass
}

extension ChannelFamily {
    /// The state's tier, rank and class in this family, or nil when the state is not one of this
    /// family's (an input error for a `contact.status`). `successfully_submitted` answers as `sent`.
    package func info(_ state: ContactState) -> StateInfo? {
        switch (self, state.joined) {
        case (_, .initial): StateInfo(tier: 0, rank: 0, stateClass: .pending)
        case (_, .canceledByAdmin): StateInfo(tier: 2, rank: 0, stateClass: .excluded)
        case (_, .blacklisted): StateInfo(tier: 2, rank: 1, stateClass: .excluded)
        case (_, .removed): StateInfo(tier: 2, rank: 2, stateClass: .excluded)
        case (_, .invalidRecord): StateInfo(tier: 4, rank: 0, stateClass: .invalid)

        case (.messaging, .queued): StateInfo(tier: 1, rank: 0, stateClass: .pending)
        case (.messaging, .retryScheduled): StateInfo(tier: 1, rank: 1, stateClass: .pending)
        case (.messaging, .inProgress): StateInfo(tier: 1, rank: 2, stateClass: .pending)
        case (.messaging, .sent): StateInfo(tier: 1, rank: 3, stateClass: .pending)
        case (.messaging, .error): StateInfo(tier: 1, rank: 4, stateClass: .failure)
        case (.messaging, .failed): StateInfo(tier: 1, rank: 5, stateClass: .failure)
        case (.messaging, .deliveryFailed): StateInfo(tier: 1, rank: 6, stateClass: .failure)
        case (.messaging, .sendingFailed): StateInfo(tier: 1, rank: 7, stateClass: .failure)
        case (.messaging, .invalidContact): StateInfo(tier: 1, rank: 8, stateClass: .failure)
        case (.messaging, .blockedOrSpam): StateInfo(tier: 1, rank: 9, stateClass: .failure)
        case (.messaging, .delivered): StateInfo(tier: 3, rank: 1, stateClass: .reached)
        case (.messaging, .read): StateInfo(tier: 3, rank: 2, stateClass: .reached)
        case (.messaging, .responded): StateInfo(tier: 3, rank: 3, stateClass: .reached)

        case (.telephone, .retryScheduled): StateInfo(tier: 1, rank: 0, stateClass: .pending)
        case (.telephone, .awaitingOperator): StateInfo(tier: 1, rank: 1, stateClass: .pending)
        case (.telephone, .operatorAssigned): StateInfo(tier: 1, rank: 2, stateClass: .pending)
        case (.telephone, .bcw): StateInfo(tier: 1, rank: 3, stateClass: .pending)
        case (.telephone, .calling): StateInfo(tier: 1, rank: 4, stateClass: .pending)
        case (.telephone, .callInProgress): StateInfo(tier: 1, rank: 5, stateClass: .pending)
        case (.telephone, .acw): StateInfo(tier: 1, rank: 6, stateClass: .pending)
        case (.telephone, .dialFailed): StateInfo(tier: 1, rank: 7, stateClass: .failure)
        case (.telephone, .canceledByClient): StateInfo(tier: 1, rank: 8, stateClass: .failure)
        case (.telephone, .unreachable): StateInfo(tier: 1, rank: 9, stateClass: .failure)
        case (.telephone, .rejectedByOperator): StateInfo(tier: 1, rank: 10, stateClass: .failure)
        case (.telephone, .success): StateInfo(tier: 3, rank: 1, stateClass: .reached)
        default: nil
        }
    }

    /// Whether a `contact.status` may report this status in this family (domain.md §5):
    /// a state of the family, and not one that only `contact.added`/`contact.removed` produce.
    package func acceptsReport(_ status: ContactState) -> Bool {
        switch status {
        case .initial, .invalidRecord, .removed: false
        case .successfullySubmitted: self == .messaging
        default: info(status) != nil
        }
    }
}
