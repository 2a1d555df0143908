/// A campaign's channel. `whatsapp` and `sms` form the messaging family; `telephone` is its own.
public enum Channel: String, Sendable, CaseIterable, Hashable, Codable {
    case whatsapp
    case sms
    case telephone

    /// The channel family decides which contact states exist (domain.md §2).
    public var family: ChannelFamily { self == .telephone ? .telephone : .messaging }
}

/// The two families of contact states (domain.md §2).
public enum ChannelFamily: String, Sendable, Hashable {
    case messaging
    case telephone
}
