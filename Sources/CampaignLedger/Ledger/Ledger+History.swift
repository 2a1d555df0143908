import LMDB

/// One row of the audit timeline (`ledger history`, interchange.md §3): an event as exported
/// with the state it found and left, or a skipped re-delivery of one.
public struct HistoryEntry: Sendable, Hashable {
    /// What the event did to the state it is about.
    public enum Effect: String, Sendable, Hashable {
        /// The state changed (`stateBefore` ≠ `stateAfter`).
        case applied
        /// Recorded, but the state already outranked it, or only the attempt changed.
        case noChange = "no_change"
        /// A re-delivery of an appended event, skipped and kept in the side record
        /// (domain.md §5).
        case duplicate
        /// A `contact.forgotten`: the contact's address was erased (docs/erasure.md); the
        /// state stays.
        case erased
    }

    /// Facts about when a report arrived that an auditor should notice. They explain a state;
    /// they never change it.
    public enum Mark: String, Sendable, Hashable {
        /// A contact report whose `at` is earlier than the `at` of a report about the same
        /// contact appended before it: the source's callbacks arrived out of order.
        case late
        /// Appended (or, for a duplicate, received) after the campaign was finished or
        /// canceled: late receipts are facts and still count.
        case afterEnd = "after_end"
        /// A provider callback that waited in the parked table (it arrived before any event
        /// recorded its message id) and was appended when one did; `meta.parkedAt` is when it
        /// was received (http.md §3).
        case parked
    }

    /// The event; for a duplicate, the appended event it repeats (same fields).
    public let recorded: RecordedEvent
    /// The position in the log; nil for a duplicate (it is not in the log).
    public let position: UInt64?
    /// When the ledger recorded the event, or received the duplicate (µs since 1970, UTC).
    public let recordedAtMicros: Int64
    /// The state before and after: the contact's state for `contact.*` events, the campaign's
    /// status for `campaign.*` events; `stateBefore` is nil for the creating event.
    public let stateBefore: String?
    public let stateAfter: String?
    /// What the event did to that state.
    public let effect: Effect
    /// What an auditor should notice about when it arrived.
    public let marks: [Mark]

    /// The interchange.md §3 entry: the fields of the event's export line (interchange.md §1),
    /// then `stateBefore`, `stateAfter`, `effect` and `marks`. A duplicate has
    /// `position` null, `recordedAt` = when it was received, `hash` null (it is not chained) and
    /// `repeats` = the position of the event it repeats.
    public var json: JSONOutput {
        var members = ExportLine.exportMembers(recorded)
        if position == nil {
            for i in members.indices {
                switch members[i].0 {
                case "position": members[i].1 = .null
                case "recordedAt": members[i].1 = .string(RFC3339.formatMicros(recordedAtMicros))
                case "hash": members[i].1 = .null
                default: break
                }
            }
            members.append(("repeats", .int(Int64(clamping: recorded.position))))
        }
        members.append(("stateBefore", stateBefore.map(JSONOutput.string) ?? .null))
        members.append(("stateAfter", stateAfter.map(JSONOutput.string) ?? .null))
        members.append(("effect", .string(effect.rawValue)))
        members.append(("marks", .array(marks.map { .string($0.rawValue) })))
        return .object(members)
    }
}

extension Ledger {
    /// The audit timeline of a campaign, or of one contact in it (interchange.md §3): every
    /// appended event of the campaign (or the contact's `contact.*` events) in position order,
    /// each with the state before and after it and its effect, and every skipped re-delivery of
    /// one of them listed right after the event at its `after` position (after earlier
    /// re-deliveries with the same `after`, domain.md §5).
    ///
    /// Reads the stream index and folds only those events with a `Projector`, in one read
    /// transaction: the cost is the size of the stream plus the (small) side record, never the
    /// whole log. Throws `LedgerError.notFound` for an unknown campaign or contact.
    public func history(campaign: String, contact: String? = nil) throws -> [HistoryEntry] {
        let build = try store.answeringBuild()
        return try store.environment.read { txn in
            let campaignPositions: [UInt64]
            if contact == nil {
                campaignPositions = try store.streamPositions(campaign: campaign, contact: nil, txn)
            } else {
                campaignPositions = try firstStreamPosition(campaign, txn).map { [$0] } ?? []
            }
            guard let first = campaignPositions.first else {
                throw LedgerError.notFound("no campaign \(quoted(campaign)); `ledger campaign list` shows the campaigns")
            }
            var timeline = Timeline()
            let positions: [UInt64]
            if let contact {
                positions = try store.streamPositions(campaign: campaign, contact: contact, txn)
                guard !positions.isEmpty else {
                    throw LedgerError.notFound(
                        "no contact \(quoted(contact)) in campaign \(quoted(campaign)); `ledger contact list \(campaign)` shows its contacts")
                }
                // The contact's fold needs the campaign's channel family: fold `campaign.created`
                // first, without listing it. `after_end` needs where the campaign ended.
                timeline.prime(try record(first, txn))
                timeline.endPosition = try endPosition(campaign, build, txn)
            } else {
                positions = campaignPositions
            }
            let repeats = try redeliveries(campaign: campaign, contact: contact, txn)
            var next = 0
            for p in positions {
                while next < repeats.count, repeats[next].side.after < p {
                    timeline.duplicate(repeats[next].record, repeats[next].side)
                    next += 1
                }
                timeline.apply(try record(p, txn))
            }
            while next < repeats.count {
                timeline.duplicate(repeats[next].record, repeats[next].side)
                next += 1
            }
            return timeline.entries
        }
    }

    private func record(_ position: UInt64, _ txn: borrowing Transaction) throws -> RecordedEvent {
        guard let r = try store.record(at: position, txn) else {
            throw LedgerError.corrupted("a stream entry points at position \(position), which has no event")
        }
        return r
    }

    /// The first position of a campaign's stream (its `campaign.created`), or nil.
    private func firstStreamPosition(_ campaign: String, _ txn: borrowing Transaction) throws -> UInt64? {
        try store.streamEnd(campaign: campaign, contact: nil, last: false, txn)
    }

    /// The position of the campaign's `campaign.finished`/`campaign.canceled`, or nil while it
    /// has not ended. Asks the projection whether it ended, then walks the campaign's stream
    /// backwards: only the events appended after the end are read.
    private func endPosition(_ campaign: String, _ build: BuildStorage, _ txn: borrowing Transaction) throws -> UInt64? {
        guard try build.aggregate(campaign, txn)?.end != nil else { return nil }
        for p in try store.streamPositions(campaign: campaign, contact: nil, txn).reversed() {
            let t = try record(p, txn).event.type
            if t == .campaignFinished || t == .campaignCanceled { return p }
        }
        return nil
    }

    /// The skipped re-deliveries of the stream's events, ordered by (`after`, sequence). The side
    /// record is small; an entry is kept when its repeated position is in the stream index.
    private func redeliveries(
        campaign: String, contact: String?, _ txn: borrowing Transaction
    ) throws -> [(side: Redelivery, record: RecordedEvent)] {
        var out: [(side: Redelivery, record: RecordedEvent)] = []
        for side in try store.redeliveries(txn) {
            guard try store.streamContains(campaign: campaign, contact: contact, side.repeats, txn) else { continue }
            out.append((side, try record(side.repeats, txn)))
        }
        out.sort { ($0.side.after, $0.side.sequence) < ($1.side.after, $1.side.sequence) }
        return out
    }
}

/// Builds history entries while folding a stream in position order.
private struct Timeline {
    var projector = Projector()
    var entries: [HistoryEntry] = []
    /// The position of the campaign's end, once known.
    var endPosition: UInt64?
    /// The latest `at` (ns) of the reports seen per contact, for `late`.
    private var latestAt: [String: Int64] = [:]

    /// Folds an event without listing it.
    mutating func prime(_ r: RecordedEvent) { projector.apply(r) }

    mutating func apply(_ r: RecordedEvent) {
        let e = r.event
        let before = state(of: e)
        projector.apply(r)
        let after = state(of: e)
        var marks: [HistoryEntry.Mark] = []
        if e.type.isContactEvent, e.type != .contactForgotten, let contact = e.contact {
            if let seen = latestAt[contact], e.atNanos < seen { marks.append(.late) }
            latestAt[contact] = max(latestAt[contact] ?? e.atNanos, e.atNanos)
        }
        if let end = endPosition, end < r.position { marks.append(.afterEnd) }
        if ParkedCallback.waited(e) { marks.append(.parked) }
        if e.type == .campaignFinished || e.type == .campaignCanceled { endPosition = r.position }
        entries.append(HistoryEntry(
            recorded: r, position: r.position, recordedAtMicros: r.recordedAtMicros,
            stateBefore: before, stateAfter: after, effect: e.type == .contactForgotten ? .erased : before == after ? .noChange : .applied,
            marks: marks))
    }

    mutating func duplicate(_ r: RecordedEvent, _ side: Redelivery) {
        let state = state(of: r.event)
        let marks: [HistoryEntry.Mark] = endPosition.map { $0 <= side.after } == true ? [.afterEnd] : []
        entries.append(HistoryEntry(
            recorded: r, position: nil, recordedAtMicros: side.receivedMicros,
            stateBefore: state, stateAfter: state, effect: .duplicate, marks: marks))
    }

    /// The contact's state for `contact.*` events, the campaign's status otherwise; nil before
    /// the creating event.
    private func state(of e: Event) -> String? {
        if e.type.isContactEvent, let contact = e.contact {
            return projector.contact(e.campaign, contact)?.state.rawValue
        }
        return projector.campaign(e.campaign)?.aggregate.status.status.rawValue
    }
}
