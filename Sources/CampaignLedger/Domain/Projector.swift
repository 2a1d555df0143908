/// An in-memory fold of the log (events in position order) into campaign aggregates, contact
/// folds and exact timings. It applies each event incrementally through `ContactFold`,
/// `ContactContribution` and `CampaignAggregate` exactly as the store does, and answers the
/// queries of interchange.md §3. A `campaign.*`/`contact.*` event whose campaign or contact is
/// unknown (its creating event was filtered out by a time filter) is ignored.
package struct Projector: Sendable {
    /// One campaign: its aggregate, its contacts, and the exact timing multisets (for the max).
    package struct CampaignEntry: Sendable {
        package let id: String
        package internal(set) var aggregate: CampaignAggregate
        /// The contacts' ids, interned: a contact's slot in `ids` is its fold's index in `folds`
        /// (in place: a report updates its contact's fold where it lies).
        var ids = IDTable()
        var folds = SegmentedArray<ContactFold>()
        package internal(set) var deliverTimes = ExactTimings()
        package internal(set) var readTimes = ExactTimings()
    }

    private var entries: [CampaignEntry] = []
    private var index: [String: Int] = [:]
    /// The last position applied.
    package private(set) var position: UInt64 = 0

    /// Whether campaign metrics (and exact timings) follow every report (`true`), or are left
    /// empty for `CampaignShareRecords.encodeContacts` to count once per contact, from its final
    /// fold.
    let incremental: Bool

    /// The share of the contacts this fold keeps: those whose id hashes to `index` modulo
    /// `count` (every campaign and its lifecycle is kept by every share). Folds of the `count`
    /// shares of one log, merged, are the fold of the whole log: a rebuild folds them in parallel.
    struct Share: Sendable {
        var index = 0
        var count = 1

        @inline(__always)
        func owns(_ contact: UnsafeRawBufferPointer) -> Bool {
            count <= 1 || Self.owner(of: contact, count: count) == index
        }

        /// The share of `count` that owns a contact id's bytes.
        @inline(__always)
        static func owner(of contact: UnsafeRawBufferPointer, count: Int) -> Int {
            guard count > 1 else { return 0 }
            var h: UInt32 = 2_166_136_261  // FNV-1a: stable across processes and threads
            for b in contact { h = (h ^ UInt32(b)) &* 16_777_619 }
            return Int(h % UInt32(count))
        }
    }

    private let share: Share

    package init() {
        incremental = true
        share = Share()
    }

    /// A fold of `share` of the contacts whose campaign metrics and timings are left empty (a
    /// rebuild's bulk phase counts them from the final folds).
    init(deferringMetrics: Bool, share: Share = Share()) {
        incremental = !deferringMetrics
        self.share = share
    }

    /// Folds `events` (in position order).
    package init(_ events: some Sequence<RecordedEvent>) {
        self.init()
        for e in events { apply(e) }
    }

    /// Every campaign, in the order they were created.
    package var campaigns: [CampaignEntry] { entries }

    package func campaign(_ id: String) -> CampaignEntry? { index[id].map { entries[$0] } }

    package func contact(_ campaign: String, _ contact: String) -> ContactFold? {
        index[campaign].flatMap { entries[$0].fold(contact) }
    }

    /// Says that the log up to `position` has been seen, when the events after the last one
    /// applied were filtered out (answers report it as their `position`).
    package mutating func seen(upTo position: UInt64) {
        self.position = max(self.position, position)
    }

    /// Applies the next event of the log.
    package mutating func apply(_ recorded: RecordedEvent) {
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
        var id = contactID
        id.withUTF8 { id in
            let id = UnsafeRawBufferPointer(id)
            guard share.owns(id) else { return }
            entries[i].apply(event, contact: id, position: recorded.position, incremental: incremental)
        }
    }

    /// Applies the next record of the log, read in place: a report about a contact copies only
    /// the strings its contact keeps (the bulk phase of a rebuild); any other event is read whole.
    mutating func apply(_ view: RecordView) {
        guard view.isContactReport else {
            apply(view.recorded())
            return
        }
        position = view.position
        let contact = view.raw(view.spans.contact)
        guard share.owns(contact) else { return }
        let i: Int
        if let last = lastCampaign, last.id.withUnsafeBytes({ view.equals(view.spans.campaign, $0) }) {
            i = last.index
        } else {
            guard let found = index[view.string(view.spans.campaign)!] else { return }
            i = found
            lastCampaign = (Array(entries[i].id.utf8), i)
        }
        entries[i].apply(view, contact: contact, position: view.position, incremental: incremental)
    }

    /// The campaign of the last record read in place (its id's bytes and its index), so a run of
    /// reports about one campaign looks it up once.
    private var lastCampaign: (id: [UInt8], index: Int)?

    // MARK: Answers (interchange.md §3)

    /// `campaign show`; nil for an unknown campaign. `build` and `projectionVersion` name the
    /// build whose answer this stands for (see `CampaignAggregate.showJSON`).
    package func campaignShow(
        _ id: String, build: Int = 1, projectionVersion: Int = BuiltInProjection.version
    ) -> JSONOutput? {
        campaign(id).map { show($0, build: build, projectionVersion: projectionVersion, breakdowns: true) }
    }

    /// `campaign list`: every campaign in campaign-id order, without the breakdowns.
    package func campaignList(build: Int = 1, projectionVersion: Int = BuiltInProjection.version) -> JSONOutput {
        .array(entries.sorted { utf8Precedes($0.id, $1.id) }.map {
            show($0, build: build, projectionVersion: projectionVersion, breakdowns: false)
        })
    }

    private func show(_ e: CampaignEntry, build: Int, projectionVersion: Int, breakdowns: Bool) -> JSONOutput {
        e.aggregate.showJSON(
            campaign: e.id, position: position, projectionVersion: projectionVersion, build: build,
            maxDeliver: e.deliverTimes.max, maxRead: e.readTimes.max,
            includeBreakdowns: breakdowns)
    }

    /// `metrics CAMPAIGN`; nil for an unknown campaign.
    package func metrics(_ id: String) -> JSONOutput? {
        campaign(id).map {
            $0.aggregate.metricsJSON(maxDeliver: $0.deliverTimes.max, maxRead: $0.readTimes.max,
                                     includeBreakdowns: true)
        }
    }

    /// `contact show`; nil for an unknown campaign or contact.
    package func contactShow(_ campaign: String, _ contact: String) -> JSONOutput? {
        self.contact(campaign, contact).map {
            $0.show(campaign: campaign, contact: contact, position: position)
        }
    }

    /// `contact list`: every contact (removed and invalid ones included) in contact-id order,
    /// optionally only those in `state`; nil for an unknown campaign.
    package func contactList(_ campaign: String, state: ContactState? = nil) -> JSONOutput? {
        guard let e = self.campaign(campaign) else { return nil }
        let wanted = state?.joined
        return .array(e.folds.indices.filter { wanted == nil || e.folds[$0].state == wanted }
            .map { (id: e.ids.id($0), slot: $0) }
            .sorted { utf8Precedes($0.id, $1.id) }
            .map { e.folds[$0.slot].show(campaign: campaign, contact: $0.id, position: position) })
    }

    /// The metrics of every campaign of `channel` merged (a channel total), with the exact maxima.
    package func channelTotal(_ channel: Channel) -> (CampaignAggregate, ExactTimings, ExactTimings)
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
    package func channelMetrics() -> JSONOutput {
        .object(Channel.allCases.map { channel in
            let (total, deliver, read) = channelTotal(channel)
            return (channel.rawValue, total.metricsJSON(
                maxDeliver: deliver.max, maxRead: read.max, includeBreakdowns: true))
        })
    }
}

extension Projector.CampaignEntry {
    /// Forgets the contacts (a rebuild's bulk phase, once it has encoded them).
    mutating func forgetContacts() {
        ids = IDTable()
        forgetFolds()
    }

    /// Forgets the contacts' folds, keeping their ids (a rebuild's bulk phase, between
    /// encoding a campaign's contacts and its timing entries, whose keys end with contact ids).
    mutating func forgetFolds() {
        folds = SegmentedArray()
    }

    /// A contact's fold, nil for an unknown contact.
    package func fold(_ contact: String) -> ContactFold? { ids.slot(contact).map { folds[$0] } }

    /// Every contact (removed and invalid ones included) and its fold, in the order added.
    package var contacts: some Collection<(id: String, fold: ContactFold)> {
        folds.indices.lazy.map { (id: self.ids.id($0), fold: self.folds[$0]) }
    }
}

extension Projector.CampaignEntry {
    /// Applies a report about `contactID`, in place (one access to the entry, none to copy a fold);
    /// `incremental`: update the metrics too.
    mutating func apply(
        _ event: some ContactReport, contact id: UnsafeRawBufferPointer, position: UInt64, incremental: Bool
    ) {
        let family = aggregate.family
        var old: ContactContribution?
        var new: ContactContribution?
        if event.type == .contactAdded {
            var fold = ContactFold()
            fold.apply(report: event, position: position, family: family)
            if incremental { new = fold.contribution(family: family) }
            let (k, inserted) = ids.insert(id)
            if inserted {
                folds.append(fold)
            } else {
                if incremental { old = folds[k].contribution(family: family) }
                folds[k] = fold
            }
        } else {
            guard let k = ids.slot(id) else { return }
            guard incremental else {
                folds[k].apply(report: event, position: position, family: family)
                return
            }
            (old, new) = folds[k].applyContributing(event, position: position, family: family)
        }
        guard incremental, old != new else { return }
        aggregate.replace(old, with: new)
        if old?.timeToDeliver != new?.timeToDeliver {
            if let t = old?.timeToDeliver { deliverTimes.remove(t) }
            if let t = new?.timeToDeliver { deliverTimes.add(t) }
        }
        if old?.timeToRead != new?.timeToRead {
            if let t = old?.timeToRead { readTimes.remove(t) }
            if let t = new?.timeToRead { readTimes.add(t) }
        }
    }
}
