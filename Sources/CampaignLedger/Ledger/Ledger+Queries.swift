import LMDB

/// A time filter for queries (interchange.md §3): what the ledger knew, or what had happened.
public enum TimeFilter: Sendable, Hashable {
    /// The events recorded at or before this instant (ns since 1970): what we knew then.
    case asOf(nanos: Int64)
    /// The events whose `at` is before this instant: what had happened by then.
    case occurredBefore(nanos: Int64)
    /// Every event: a fold of the whole history in memory (how a process that never writes
    /// answers while its build lags the log).
    case everything

    /// Whether the filter keeps this event of the log.
    public func admits(_ r: RecordedEvent) -> Bool {
        switch self {
        case .asOf(let t): r.recordedAtMicros.multipliedReportingOverflow(by: 1000).partialValue <= t
        case .occurredBefore(let t): r.event.atNanos < t
        case .everything: true
        }
    }
}

extension Ledger {
    /// The number of the projection build that answers queries (`build` in answers).
    public var projectionBuild: Int {
        get throws { Int(try store.answeringBuild().number) }
    }

    /// The version of the rules of a build (`projectionVersion` in answers).
    func projectionVersion(_ build: BuildStorage, _ txn: borrowing Transaction) throws -> Int {
        Int(try store.buildInfo(build.number, txn)?.version ?? UInt32(BuiltInProjection.version))
    }

    func projectionVersion(_ build: BuildStorage) throws -> Int {
        try store.environment.read { txn in try projectionVersion(build, txn) }
    }

    /// The checkpoint (last applied position) of a build.
    func checkpoint(_ build: BuildStorage, _ txn: borrowing Transaction) throws -> UInt64 {
        try store.buildInfo(build.number, txn)?.checkpoint ?? 0
    }

    // MARK: Typed reads

    /// A campaign's lifecycle, status and metric counters, or nil when it does not exist.
    public func campaign(_ id: String) throws -> CampaignAggregate? {
        let build = try store.answeringBuild()
        return try store.environment.read { txn in try build.aggregate(id, txn) }
    }

    /// A contact's current state and the facts that explain it, or nil.
    public func contact(campaign: String, contact: String) throws -> ContactFold? {
        let build = try store.answeringBuild()
        return try store.environment.read { txn in
            try build.fold(ContactIdentity(campaign: campaign, contact: contact), txn)
        }
    }

    // MARK: Answers (interchange.md §3)

    /// `ledger campaign show ID --json`. Reads one campaign record and two index entries: O(1)
    /// in the campaign's size.
    public func campaignJSON(_ id: String, filter: TimeFilter? = nil) throws -> JSONOutput {
        let build = try store.answeringBuild()
        let filter = try filter ?? lagFilter(build)
        if let filter {
            let projector = try fold(campaign: id, filter: filter)
            guard let answer = projector.campaignShow(
                id, build: Int(build.number), projectionVersion: try projectionVersion(build)) else {
                throw LedgerError.notFound(notFoundCampaign(id, filter))
            }
            return answer
        }
        return try store.environment.read { txn in
            guard let agg = try build.aggregate(id, txn) else {
                throw LedgerError.notFound(notFoundCampaign(id, nil))
            }
            return agg.showJSON(
                campaign: id, position: try checkpoint(build, txn),
                projectionVersion: try projectionVersion(build, txn), build: Int(build.number),
                maxDeliver: try build.maximum(id, .deliver, txn), maxRead: try build.maximum(id, .read, txn))
        }
    }

    /// `ledger campaign list --json`: every campaign in id order, without breakdowns.
    public func campaignListJSON(filter: TimeFilter? = nil) throws -> JSONOutput {
        let build = try store.answeringBuild()
        let filter = try filter ?? lagFilter(build)
        if let filter {
            return try foldAll(filter: filter).campaignList(
                build: Int(build.number), projectionVersion: try projectionVersion(build))
        }
        return try store.environment.read { txn in
            let position = try checkpoint(build, txn)
            let version = try projectionVersion(build, txn)
            var rows: [(String, CampaignAggregate)] = []
            try txn.forEach(build.campaigns) { key, value in
                let id = String(decoding: key, as: UTF8.self)
                do {
                    rows.append((id, try CampaignAggregate(decoding: Array(value))))
                } catch {
                    throw LedgerError.corrupted("campaign record of \(quoted(id)): \(error)")
                }
                return true
            }
            return .array(try rows.map { id, agg in
                agg.showJSON(
                    campaign: id, position: position, projectionVersion: version, build: Int(build.number),
                    maxDeliver: try build.maximum(id, .deliver, txn), maxRead: try build.maximum(id, .read, txn),
                    includeBreakdowns: false)
            })
        }
    }

    /// `ledger contact show CAMPAIGN CONTACT --json`.
    public func contactJSON(campaign: String, contact: String, filter: TimeFilter? = nil) throws -> JSONOutput {
        let build = try store.answeringBuild()
        let filter = try filter ?? lagFilter(build)
        if let filter {
            let projector = try fold(campaign: campaign, filter: filter)
            guard projector.campaign(campaign) != nil else {
                throw LedgerError.notFound(notFoundCampaign(campaign, filter))
            }
            guard let answer = projector.contactShow(campaign, contact) else {
                throw LedgerError.notFound(notFoundContact(campaign, contact, filter))
            }
            return answer
        }
        return try store.environment.read { txn in
            guard try build.aggregate(campaign, txn) != nil else {
                throw LedgerError.notFound(notFoundCampaign(campaign, nil))
            }
            guard let fold = try build.fold(ContactIdentity(campaign: campaign, contact: contact), txn) else {
                throw LedgerError.notFound(notFoundContact(campaign, contact, nil))
            }
            return fold.show(campaign: campaign, contact: contact, position: try checkpoint(build, txn))
        }
    }

    /// `ledger contact list CAMPAIGN --json`: every contact (removed and invalid ones too) in
    /// contact-id order; `state` filters; `limit`/`after` page.
    public func contactListJSON(
        campaign: String, state: ContactState? = nil, limit: Int? = nil, after: String? = nil,
        filter: TimeFilter? = nil
    ) throws -> JSONOutput {
        let build = try store.answeringBuild()
        let filter = try filter ?? lagFilter(build)
        if let filter {
            let projector = try fold(campaign: campaign, filter: filter)
            guard case .array(var rows)? = projector.contactList(campaign, state: state) else {
                throw LedgerError.notFound(notFoundCampaign(campaign, filter))
            }
            if let after {
                rows = rows.filter { row in
                    guard case .object(let members) = row,
                        case .string(let id)? = members.first(where: { $0.0 == "contact" })?.1
                    else { return false }
                    return utf8Precedes(after, id)
                }
            }
            if let limit { rows = Array(rows.prefix(limit)) }
            return .array(rows)
        }
        return try store.environment.read { txn in
            guard try build.aggregate(campaign, txn) != nil else {
                throw LedgerError.notFound(notFoundCampaign(campaign, nil))
            }
            let position = try checkpoint(build, txn)
            let prefix = StoreLayout.campaignPrefix(campaign)
            let start = after.map { prefix + Array($0.utf8) + [0] } ?? prefix
            let wanted = state?.joined
            var rows: [JSONOutput] = []
            try txn.forEach(build.contacts, prefix: prefix, from: start) { key, value in
                let id = String(decoding: key[prefix.count...], as: UTF8.self)
                let fold: ContactFold
                do {
                    fold = try ContactFold(decoding: Array(value))
                } catch {
                    throw LedgerError.corrupted("contact record of \(campaign)/\(id): \(error)")
                }
                if wanted == nil || fold.state == wanted {
                    rows.append(fold.show(campaign: campaign, contact: id, position: position))
                }
                return limit.map { rows.count < $0 } ?? true
            }
            return .array(rows)
        }
    }

    /// `ledger metrics CAMPAIGN --json` (the campaign's metrics) or, with no campaign,
    /// `{"whatsapp": …, "sms": …, "telephone": …}` totals per channel.
    public func metricsJSON(campaign: String? = nil, filter: TimeFilter? = nil) throws -> JSONOutput {
        let build = try store.answeringBuild()
        let filter = try filter ?? lagFilter(build)
        if let campaign {
            guard case .object(let members) = try campaignJSON(campaign, filter: filter),
                let metrics = members.first(where: { $0.0 == "metrics" })?.1
            else { throw LedgerError.internal("campaign answer without metrics") }
            return metrics
        }
        if let filter { return try foldAll(filter: filter).channelMetrics() }
        return try store.environment.read { txn in
            var totals: [Channel: (CampaignAggregate, Int64?, Int64?)] = [:]
            for channel in Channel.allCases { totals[channel] = (CampaignAggregate(channel: channel), nil, nil) }
            try txn.forEach(build.campaigns) { key, value in
                let id = String(decoding: key, as: UTF8.self)
                let agg: CampaignAggregate
                do {
                    agg = try CampaignAggregate(decoding: Array(value))
                } catch {
                    throw LedgerError.corrupted("campaign record of \(quoted(id)): \(error)")
                }
                var t = totals[agg.channel]!
                t.0.merge(agg)
                t.1 = maxOptional(t.1, try build.maximum(id, .deliver, txn))
                t.2 = maxOptional(t.2, try build.maximum(id, .read, txn))
                totals[agg.channel] = t
                return true
            }
            return .object(Channel.allCases.map { channel in
                let (agg, deliver, read) = totals[channel]!
                return (channel.rawValue, agg.metricsJSON(maxDeliver: deliver, maxRead: read, includeBreakdowns: true))
            })
        }
    }

    /// The head of the log a filter admits (`head` in answers): for `.asOf`, the last event
    /// recorded by then (position 0 before the first); otherwise the head.
    public func head(filter: TimeFilter?) throws -> LogHead {
        guard let filter, case .asOf = filter else { return try head() }
        let position = try lastAdmitted(filter)
        guard position > 0, let r = try event(at: position) else { return LogHead.empty }
        return LogHead(position: r.position, recordedAtMicros: r.recordedAtMicros, hash: r.hash)
    }

    // MARK: Time-filtered folds

    /// `.everything` when the build lags the log, else nil (answer from the build). A process
    /// that writes has caught its builds up on open and keeps them current; a read-only one never
    /// writes (DESIGN.md §4), so it folds the history in memory instead of answering stale.
    func lagFilter(_ build: BuildStorage) throws -> TimeFilter? {
        let lagging = try store.environment.read { txn in try checkpoint(build, txn) < store.head(txn).position }
        return lagging ? .everything : nil
    }

    /// Folds one campaign's stream, filtered, in memory (uses the stream index, not the log).
    /// Its `position` is the last position of the whole log the filter admits: what the answer
    /// reflects.
    func fold(campaign: String, filter: TimeFilter) throws -> Projector {
        var projector = Projector()
        for r in try events(campaign: campaign) where filter.admits(r) { projector.apply(r) }
        projector.seen(upTo: try lastAdmitted(filter))
        return projector
    }

    /// The last position of the log a filter admits: the head, or for `--as-of` the last event
    /// recorded by then (recordedAt never decreases, so a binary search over positions).
    func lastAdmitted(_ filter: TimeFilter) throws -> UInt64 {
        let head = try head().position
        guard case .asOf = filter else { return head }
        return try store.environment.read { txn in
            var low: UInt64 = 0  // admitted
            var high = head + 1  // not admitted
            while high - low > 1 {
                let mid = low + (high - low) / 2
                guard let r = try store.record(at: mid, txn) else { break }
                if filter.admits(r) { low = mid } else { high = mid }
            }
            return low
        }
    }

    /// Folds the whole log, filtered, in memory, reading in chunks.
    func foldAll(filter: TimeFilter) throws -> Projector {
        var projector = Projector()
        var next: UInt64 = 1
        while true {
            let chunk = try events(from: next, limit: 10_000)
            for r in chunk where filter.admits(r) { projector.apply(r) }
            guard let last = chunk.last, chunk.count == 10_000 else { break }
            next = last.position + 1
        }
        projector.seen(upTo: try lastAdmitted(filter))
        return projector
    }

    private func notFoundCampaign(_ id: String, _ filter: TimeFilter?) -> String {
        let when: String = filter == nil ? "" : " at that time"
        return "no campaign \(quoted(id))\(when); `ledger campaign list` shows the campaigns"
    }

    private func notFoundContact(_ campaign: String, _ contact: String, _ filter: TimeFilter?) -> String {
        let when: String = filter == nil ? "" : " at that time"
        return "no contact \(quoted(contact)) in campaign \(quoted(campaign))\(when); `ledger contact list \(campaign)` shows its contacts"
    }
}

private func maxOptional(_ a: Int64?, _ b: Int64?) -> Int64? {
    switch (a, b) {
    case (nil, let x), (let x, nil): x
    case (let x?, let y?): max(x, y)
    }
}
