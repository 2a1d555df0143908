/// A campaign's phase (domain.md §4), set by `campaign.*` events only, in append order.
public enum CampaignPhase: String, Sendable, Hashable {
    case notStarted = "not_started"
    case sending
    case paused
    case ended
}

/// How a campaign ended: `campaign.finished` or `campaign.canceled`.
public enum CampaignEnd: String, Sendable, Hashable {
    case finished
    case canceled
}

/// A campaign's computed status (domain.md §4).
public enum CampaignStatus: String, Sendable, Hashable {
    case queued, sending, paused, completed, failed
}

/// Why a campaign's status is completed/failed: it was finished or canceled, or every contact
/// settled.
public enum CampaignEndedBy: String, Sendable, Hashable {
    case settled, finished, canceled
}

/// A campaign as the ledger answers it (`Ledger.campaign(_:)`): its channel and name, its
/// lifecycle (created, started, paused, ended), its computed `status` and its metric counters.
/// `Ledger.campaignJSON` answers the same, with the timings, as a JSON document.
///
/// Inside the library it is also the stored per-campaign record: a value type with a binary
/// form, which every event updates in O(1) (never a scan of contacts).
public struct CampaignAggregate: Sendable, Hashable {
    /// The channel `campaign.created` gave.
    public let channel: Channel
    /// The name `campaign.created` gave.
    public private(set) var name: String?
    /// The `at` text of `campaign.created` and `campaign.started`.
    public private(set) var createdAt: String?
    public private(set) var startedAt: String?
    /// Whether the latest of `campaign.paused`/`campaign.resumed` (in append order) is paused.
    public private(set) var latestPaused = false
    /// How and when (`at` text) the campaign ended, if it did.
    public private(set) var end: CampaignEnd?
    public private(set) var endedAt: String?
    public private(set) var metrics: CampaignMetrics

    package init(channel: Channel, name: String? = nil, createdAt: String? = nil) {
        self.channel = channel
        self.name = name
        self.createdAt = createdAt
        metrics = CampaignMetrics(family: channel.family)
    }

    /// The aggregate a `campaign.created` event starts; nil for any other event or one without
    /// a channel (never in a validated log).
    package init?(created event: Event) {
        guard event.type == .campaignCreated, let channel = event.channel else { return nil }
        self.init(channel: channel, name: event.name, createdAt: event.at)
    }

    /// The channel's family, whose states and metrics the campaign's contacts have.
    public var family: ChannelFamily { channel.family }

    /// The phase: ended once finished or canceled; else not started until started; else paused
    /// or sending after the latest of paused/resumed.
    public var phase: CampaignPhase {
        if end != nil { return .ended }
        if startedAt == nil { return .notStarted }
        return latestPaused ? .paused : .sending
    }

    /// `paused` as answered: true while the phase is paused, false once ended.
    public var paused: Bool { latestPaused && end == nil }

    /// Applies a `campaign.*` event (other events are ignored).
    package mutating func applyLifecycle(_ event: Event) {
        switch event.type {
        case .campaignCreated:
            name = event.name
            createdAt = event.at
        case .campaignStarted: startedAt = event.at
        case .campaignPaused: latestPaused = true
        case .campaignResumed: latestPaused = false
        case .campaignFinished:
            end = .finished
            endedAt = event.at
        case .campaignCanceled:
            end = .canceled
            endedAt = event.at
        case .contactAdded, .contactRemoved, .contactStatus, .contactForgotten:
            return
        }
    }

    /// Counts a contact's contribution in / takes one out / replaces one (see `CampaignMetrics`).
    package mutating func add(_ c: ContactContribution) { metrics.add(c) }
    package mutating func remove(_ c: ContactContribution) { metrics.remove(c) }
    package mutating func replace(_ old: ContactContribution?, with new: ContactContribution?) {
        metrics.replace(old, with: new)
    }

    /// Adds `other`'s metrics (a campaign of the same channel family) to this one's: how a channel
    /// total is made. The lifecycle is left as it is.
    package mutating func merge(_ other: CampaignAggregate) { metrics.merge(other.metrics) }

    /// Status per domain.md §4, rules in order.
    public var status: (status: CampaignStatus, endedBy: CampaignEndedBy?) {
        let outcome: CampaignStatus = metrics.reached > 0 ? .completed : .failed
        if let end { return (outcome, end == .finished ? .finished : .canceled) }
        if startedAt == nil { return (.queued, nil) }
        if metrics.contacts > 0 && metrics.pending == 0 { return (outcome, .settled) }
        return (latestPaused ? .paused : .sending, nil)
    }

    /// `ledger campaign show --json` (interchange.md §3): `position` is the last position the
    /// answering projection applied, `projectionVersion` the version of that projection's rules
    /// and `build` the number of the build that answered; `maxDeliver`/`maxRead` the exact
    /// timing maxima in ns. `includeBreakdowns: false` gives the `campaign list` element.
    package func showJSON(
        campaign: String, position: UInt64, projectionVersion: Int, build: Int, maxDeliver: Int64?,
        maxRead: Int64?, includeBreakdowns: Bool = true
    ) -> JSONOutput {
        let (status, endedBy) = self.status
        return .object([
            ("campaign", .string(campaign)),
            ("channel", .string(channel.rawValue)),
            ("name", name.map(JSONOutput.string) ?? .null),
            ("status", .string(status.rawValue)),
            ("endedBy", endedBy.map { .string($0.rawValue) } ?? .null),
            ("paused", .bool(paused)),
            ("createdAt", createdAt.map(JSONOutput.string) ?? .null),
            ("startedAt", startedAt.map(JSONOutput.string) ?? .null),
            ("endedAt", endedAt.map(JSONOutput.string) ?? .null),
            ("metrics", metrics.metricsJSON(maxDeliver: maxDeliver, maxRead: maxRead,
                                            includeBreakdowns: includeBreakdowns)),
            ("position", .int(Int64(clamping: position))),
            ("projectionVersion", .int(Int64(projectionVersion))),
            ("build", .int(Int64(build))),
        ])
    }

    /// The metrics object (see `CampaignMetrics.metricsJSON`).
    package func metricsJSON(maxDeliver: Int64?, maxRead: Int64?, includeBreakdowns: Bool)
        -> JSONOutput
    {
        metrics.metricsJSON(maxDeliver: maxDeliver, maxRead: maxRead,
                            includeBreakdowns: includeBreakdowns)
    }
}

// MARK: - Binary form

extension CampaignAggregate {
    /// The binary format version written by `encoded()`.
    package static let formatVersion: UInt8 = 1

    private enum Flag {
        static let name: UInt8 = 1 << 0
        static let createdAt: UInt8 = 1 << 1
        static let startedAt: UInt8 = 1 << 2
        static let endedAt: UInt8 = 1 << 3
        static let latestPaused: UInt8 = 1 << 4
        static let finished: UInt8 = 1 << 5
        static let canceled: UInt8 = 1 << 6
    }

    private static func channelCode(_ c: Channel) -> UInt8 {
        switch c {
        case .whatsapp: 1
        case .sms: 2
        case .telephone: 3
        }
    }

    /// Layout (version 1): version u8 · channel u8 (1 whatsapp, 2 sms, 3 telephone) · flags u8
    /// (name, createdAt, startedAt, endedAt present; latest paused; finished; canceled) · the
    /// present strings in that order · the metrics (`CampaignMetrics.encode(into:)`).
    package func encoded() -> [UInt8] {
        var w = DomainByteWriter(capacity: 128)
        w.byte(Self.formatVersion)
        w.byte(Self.channelCode(channel))
        var flags: UInt8 = 0
        if name != nil { flags |= Flag.name }
        if createdAt != nil { flags |= Flag.createdAt }
        if startedAt != nil { flags |= Flag.startedAt }
        if endedAt != nil { flags |= Flag.endedAt }
        if latestPaused { flags |= Flag.latestPaused }
        if end == .finished { flags |= Flag.finished }
        if end == .canceled { flags |= Flag.canceled }
        w.byte(flags)
        if let name { w.string(name) }
        if let createdAt { w.string(createdAt) }
        if let startedAt { w.string(startedAt) }
        if let endedAt { w.string(endedAt) }
        metrics.encode(into: &w)
        return w.bytes
    }

    /// Decodes what `encoded()` wrote; throws (never traps) on anything else.
    package init(decoding bytes: [UInt8]) throws(DomainDecodingError) {
        var r = DomainByteReader(bytes)
        let version = try r.byte()
        guard version == Self.formatVersion else { throw .unsupportedVersion(version) }
        let channel: Channel
        switch try r.byte() {
        case 1: channel = .whatsapp
        case 2: channel = .sms
        case 3: channel = .telephone
        default: throw .invalid("channel")
        }
        let flags = try r.byte()
        guard flags < 1 << 7, flags & (Flag.finished | Flag.canceled) != Flag.finished | Flag.canceled
        else { throw .invalid("flags") }
        self.init(channel: channel)
        if flags & Flag.name != 0 { name = try r.string("name") }
        if flags & Flag.createdAt != 0 { createdAt = try r.string("createdAt") }
        if flags & Flag.startedAt != 0 { startedAt = try r.string("startedAt") }
        if flags & Flag.endedAt != 0 { endedAt = try r.string("endedAt") }
        latestPaused = flags & Flag.latestPaused != 0
        if flags & Flag.finished != 0 { end = .finished }
        if flags & Flag.canceled != 0 { end = .canceled }
        metrics = try CampaignMetrics(family: channel.family, from: &r)
        try r.finish()
    }
}
