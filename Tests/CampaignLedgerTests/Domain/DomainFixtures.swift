import CampaignLedger

/// The property tests' deterministic generator: the one the codec tests use.
typealias DomainRNG = SeededGenerator

extension SeededGenerator {
    init(seed: UInt64) { self.init(state: seed) }
}

/// Builds a log of recorded events for tests: positions 1, 2, …; `at` = base + seconds.
struct DomainLog {
    var events: [RecordedEvent] = []
    static let baseNanos: Int64 = 1_795_161_600_000_000_000  // 2026-11-20T08:00:00Z

    static func atText(_ seconds: Int) -> String {
        let h = 8 + seconds / 3600
        let m = seconds / 60 % 60
        let s = seconds % 60
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "2026-11-20T\(two(h)):\(two(m)):\(two(s))Z"
    }

    static func event(
        _ type: EventType, _ campaign: String = "c", contact: String? = nil, at: Int = 0,
        channel: Channel? = nil, name: String? = nil, address: String? = nil,
        status: ContactState? = nil, attempt: Int? = nil, code: String? = nil,
        reason: String? = nil, ref: String? = nil
    ) -> Event {
        Event(
            type: type, campaign: campaign, at: atText(at),
            atNanos: baseNanos + Int64(at) * 1_000_000_000, contact: contact, channel: channel,
            name: name, address: address, status: status, attempt: attempt, code: code,
            reason: reason, providerRef: ref)
    }

    mutating func append(_ e: Event) {
        events.append(RecordedEvent(
            position: UInt64(events.count + 1), recordedAtMicros: 0, event: e, addressSalt: nil,
            hash: []))
    }

    mutating func created(_ c: String = "c", _ channel: Channel = .whatsapp, name: String? = nil,
                          at: Int = 0) {
        append(Self.event(.campaignCreated, c, at: at, channel: channel, name: name))
    }
    mutating func lifecycle(_ type: EventType, _ c: String = "c", at: Int = 0) {
        append(Self.event(type, c, at: at))
    }
    mutating func started(_ c: String = "c", at: Int = 0) { lifecycle(.campaignStarted, c, at: at) }
    mutating func added(_ k: String, _ c: String = "c", address: String = "+420 601 234 567",
                        at: Int = 0, ref: String? = nil) {
        append(Self.event(.contactAdded, c, contact: k, at: at, address: address, ref: ref))
    }
    mutating func removed(_ k: String, _ c: String = "c", at: Int = 0) {
        append(Self.event(.contactRemoved, c, contact: k, at: at))
    }
    mutating func status(
        _ k: String, _ s: ContactState, attempt: Int? = 1, _ c: String = "c", at: Int = 0,
        code: String? = nil, reason: String? = nil, ref: String? = nil
    ) {
        append(Self.event(.contactStatus, c, contact: k, at: at, status: s, attempt: attempt,
                          code: code, reason: reason, ref: ref))
    }

    var projector: Projector { Projector(events) }

    /// A campaign `c` of `channel`, started, with contacts `ks` added.
    static func campaign(_ channel: Channel = .whatsapp, contacts ks: [String] = ["k"],
                         start: Bool = true) -> DomainLog {
        var log = DomainLog()
        log.created("c", channel)
        if start { log.started() }
        for k in ks { log.added(k) }
        return log
    }
}

extension JSONOutput {
    /// The member `key` of an object (nil if absent or not an object).
    subscript(_ key: String) -> JSONOutput? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    var keys: [String] {
        guard case .object(let members) = self else { return [] }
        return members.map(\.0)
    }
}

/// Folds statuses for one contact (added with a valid address first) in `family`.
func domainFold(_ family: ChannelFamily, _ reports: [(ContactState, Int?)]) -> ContactFold {
    var fold = ContactFold()
    fold.apply(DomainLog.event(.contactAdded, contact: "k", address: "+420601234567"),
               position: 1, family: family)
    for (i, (s, a)) in reports.enumerated() {
        fold.apply(DomainLog.event(.contactStatus, contact: "k", at: i, status: s, attempt: a),
                   position: UInt64(i + 2), family: family)
    }
    return fold
}
