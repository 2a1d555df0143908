/// Fast per-state lookups for the hot paths of the domain fold: a state's slot (equal to its
/// stable `code`, computed by a switch instead of a search), a bit for state sets, and the
/// family-independent class of a state.
extension ContactState {
    /// Number of slots in arrays indexed by `slot` (slot 0 is unused).
    static let slotCount = 31

    /// The state's stable one-byte `code` as an Int.
    @inline(__always)
    var slot: Int { Int(code) }

    /// The states by slot (index 0 is a placeholder and never a valid slot).
    static let bySlot: [ContactState] = [.initial] + ContactState.allCases

    /// The state whose slot is `slot`, or nil.
    @inline(__always)
    static func fromSlot(_ slot: Int) -> ContactState? {
        slot >= 1 && slot < slotCount ? bySlot[slot] : nil
    }

    /// This state's bit in a `UInt64` state set.
    @inline(__always)
    var bit: UInt64 { 1 << UInt64(slot) }

    /// How the state counts (domain.md §2): its class, e.g. `failure` for every failure state of
    /// either family. Every state has the same class in each family it belongs to, so no family
    /// is needed.
    public var stateClass: StateClass {
        (ChannelFamily.messaging.info(self) ?? ChannelFamily.telephone.info(self))?.stateClass
            ?? .pending
    }
}

/// The state sets of domain.md §6, as bit masks over `ContactState.bit`.
enum StateSets {
    static func mask(_ states: [ContactState]) -> UInt64 {
        states.reduce(0) { $0 | $1.bit }
    }

    /// Messaging: ever `sent` (incl. successfully_submitted), `delivered`, `read`, `responded`,
    /// `delivery_failed`.
    static let everSent = mask([.sent, .successfullySubmitted, .delivered, .read, .responded,
                                .deliveryFailed])
    /// Telephone: ever `calling`, `call_in_progress`, `acw`, `success`, `canceled_by_client`,
    /// `unreachable`.
    static let everDialed = mask([.calling, .callInProgress, .acw, .success, .canceledByClient,
                                  .unreachable])
    /// Telephone: ever `call_in_progress`, `acw` or `success`.
    static let everConnected = mask([.callInProgress, .acw, .success])
    /// Telephone: ever `canceled_by_client`.
    static let everAbandoned = mask([.canceledByClient])

    /// Dispatch reports, whose highest attempt counts in `attempts` (§6).
    static let messagingDispatch = mask([.inProgress, .sent, .successfullySubmitted, .error,
                                         .failed, .deliveryFailed, .sendingFailed,
                                         .invalidContact, .blockedOrSpam, .delivered, .read,
                                         .responded])
    static let telephoneDispatch = mask([.calling, .callInProgress, .acw, .success, .dialFailed,
                                         .canceledByClient, .unreachable])

    static func dispatch(_ family: ChannelFamily) -> UInt64 {
        family == .messaging ? messagingDispatch : telephoneDispatch
    }

    /// States whose earliest `at` starts the timings (`sent`, incl. successfully_submitted).
    static let timingSent = mask([.sent, .successfullySubmitted])
    /// States whose earliest `at` ends `timeToDeliver`.
    static let timingReached = mask([.delivered, .read, .responded])
    /// States whose earliest `at` ends `timeToRead` (`read` only, not `responded`).
    static let timingRead = mask([.read])
}
