/// An in-memory fold of the log (events in position order) into campaign aggregates, contact
/// folds and exact timings. It applies each event incrementally through `ContactFold`,
/// `ContactContribution` and `CampaignAggregate` exactly as the store does, and answers the
/// queries of interchange.md §3. A `campaign.*`/`contact.*` event whose campaign or contact is
/// unknown (its creating event was filtered out by a time filter) is ignored.
public struct Projector: Sendable {
    /// One campaign: its aggregate, its contacts, and the exact timing multisets (for the max).
    public struct CampaignEntry: Sendable {
        public let id: String
        public internal(set) var aggregate: CampaignAggregate
        public internal(set) var contacts: [String: ContactFold] = [:]
        public internal(set) var deliverTimes = ExactTimings()
        public internal(set) var readTimes = ExactTimings()
    }

    private var entries: [CampaignEntry] = []
    private var index: [String: Int] = [:]
    /// The last position applied.
    public private(set) var position: UInt64 = 0

    public init() {}

    /// Folds `events` (in position order).
    public init(_ events: some Sequence<RecordedEvent>) {
        for e in events { apply(e) }
    }

    /// Every campaign, in the order they were created.
    public var campaigns: [CampaignEntry] { entries }

    public func campaign(_ id: String) -> CampaignEntry? { index[id].map { entries[$0] } }

    public func contact(_ campaign: String, _ contact: String) -> ContactFold? {
        index[campaign].flatMap { entries[$0].contacts[contact] }
    }

    /// Says that the log up to `position` has been seen, when the events after the last one
    /// applied were filtered out (answers report it as their `position`).
    public mutating func seen(upTo position: UInt64) {
        self.position = max(self.position, position)
    }

    /// Applies the next event of the log.
    public mutating func apply(_ recorded: RecordedEvent) {
        position = recorded.position
        let event = recorded.event
        if event.type == .campaignCreated {
            guard let aggregate = CampaignAggregate(created: event) else { return }
            let entry = CampaignEntry(id: event.campaign, aggregate: aggregate)
            if let i = index[event.campaign] {
                entries[i] = entry
            } else {
                index[event.campaign] = entries.count
                entries.append(entry)
            }
            return
        }
        guard let i = index[event.campaign] else { return }
        guard event.type.isContactEvent, let contactID = event.contact else {
            entries[i].aggregate.applyLifecycle(event)
            return
        }
        let family = entries[i].aggregate.family
        let old: ContactContribution?
        let new: ContactContribution?
        if event.type == .contactAdded {
            old = entries[i].contacts[contactID]?.contribution(family: family)
            var fold = ContactFold()
            fold.apply(event, position: recorded.position, family: family)
            new = fold.contribution(family: family)
            entries[i].contacts[contactID] = fold
        } else {
            guard let k = entries[i].contacts.index(forKey: contactID) else { return }
            old = entries[i].contacts.values[k].contribution(family: family)
            entries[i].contacts.values[k].apply(event, position: recorded.position, family: family)
            new = entries[i].contacts.values[k].contribution(family: family)
        }
        guard old != new else { return }
        entries[i].aggregate.replace(old, with: new)
        if old?.timeToDeliver != new?.timeToDeliver {
            if let t = old?.timeToDeliver { entries[i].deliverTimes.remove(t) }
            if let t = new?.timeToDeliver { entries[i].deliverTimes.add(t) }
        }
        if old?.timeToRead != new?.timeToRead {
            if let t = old?.timeToRead { entries[i].readTimes.remove(t) }
            if let t = new?.timeToRead { entries[i].readTimes.add(t) }
        }
    }

    // MARK: Answers (interchange.md §3)

    /// `campaign show`; nil for an unknown campaign.
    public func campaignShow(_ id: String, projectionVersion: Int = 1) -> JSONOutput? {
        campaign(id).map { show($0, projectionVersion: projectionVersion, breakdowns: true) }
    }

    /// `campaign list`: every campaign in campaign-id order, without the breakdowns.
    public func campaignList(projectionVersion: Int = 1) -> JSONOutput {
        .array(entries.sorted { utf8Precedes($0.id, $1.id) }.map {
            show($0, projectionVersion: projectionVersion, breakdowns: false)
        })
    }

    private func show(_ e: CampaignEntry, projectionVersion: Int, breakdowns: Bool) -> JSONOutput {
        e.aggregate.showJSON(
            campaign: e.id, position: position, projectionVersion: projectionVersion,
            maxDeliver: e.deliverTimes.max, maxRead: e.readTimes.max,
            includeBreakdowns: breakdowns)
    }

    /// `metrics CAMPAIGN`; nil for an unknown campaign.
    public func metrics(_ id: String) -> JSONOutput? {
        campaign(id).map {
            $0.aggregate.metricsJSON(maxDeliver: $0.deliverTimes.max, maxRead: $0.readTimes.max,
                                     includeBreakdowns: true)
        }
    }

    /// `contact show`; nil for an unknown campaign or contact.
    public func contactShow(_ campaign: String, _ contact: String) -> JSONOutput? {
        self.contact(campaign, contact).map {
            $0.show(campaign: campaign, contact: contact, position: position)
        }
    }

    /// `contact list`: every contact (removed and invalid ones included) in contact-id order,
    /// optionally only those in `state`; nil for an unknown campaign.
    public func contactList(_ campaign: String, state: ContactState? = nil) -> JSONOutput? {
        guard let e = self.campaign(campaign) else { return nil }
        let wanted = state?.joined
        return .array(e.contacts.filter { wanted == nil || $0.value.state == wanted }
            .sorted { utf8Precedes($0.key, $1.key) }
            .map { $0.value.show(campaign: campaign, contact: $0.key, position: position) })
    }

    /// The metrics of every campaign of `channel` merged (a channel total), with the exact maxima.
    public func channelTotal(_ channel: Channel) -> (CampaignAggregate, ExactTimings, ExactTimings)
    {
        var total = CampaignAggregate(channel: channel)
        var deliver = ExactTimings()
        var read = ExactTimings()
        for e in entries where e.aggregate.channel == channel {
            total.merge(e.aggregate)
            deliver.merge(e.deliverTimes)
            read.merge(e.readTimes)
        }
        return (total, deliver, read)
    }

    /// `metrics` without a campaign: `{"whatsapp": …, "sms": …, "telephone": …}`, counts summed,
    /// rates from the sums, timings over all the channel's contacts.
    public func channelMetrics() -> JSONOutput {
        .object(Channel.allCases.map { channel in
            let (total, deliver, read) = channelTotal(channel)
            return (channel.rawValue, total.metricsJSON(
                maxDeliver: deliver.max, maxRead: read.max, includeBreakdowns: true))
        })
    }
}
