import Foundation
import LMDB

/// What `Ledger.verify` (and `ledger verify`) found.
public struct VerifyReport: Sendable {
    /// The head after the chain was recomputed: its position and hash.
    public var head: LogHead
    /// Events whose hash was recomputed.
    public var eventsChecked: UInt64 = 0
    /// Problems found, the first (lowest position) first. Empty when everything holds.
    public var problems: [VerifyProblem] = []
    /// Whether everything holds.
    public var isOK: Bool { problems.isEmpty }
    /// How far the active build lags the log when verify ran: 0 when its projections were
    /// compared with a fresh fold; otherwise they were not (a writing process catches the build
    /// up; run verify again after it).
    public var projectionLag: UInt64 = 0

    /// `ledger verify --json` (interchange.md §3): `ok`, `eventsChecked`, `firstBadPosition`
    /// (null when none names a position), `projectionsCompared` (false when the active build
    /// lagged), `problems` (each `position`, null when none, and `message`) and `head`
    /// (`position`, `hash` in lowercase hex).
    public var json: JSONOutput {
        .object([
            ("ok", .bool(isOK)),
            ("eventsChecked", .int(Int64(clamping: eventsChecked))),
            ("firstBadPosition", problems.first?.position.map { .int(Int64(clamping: $0)) } ?? .null),
            ("projectionsCompared", .bool(projectionLag == 0)),
            ("problems", .array(problems.map { p in
                .object([("position", p.position.map { .int(Int64(clamping: $0)) } ?? .null), ("message", .string(p.message))])
            })),
            ("head", .object([("position", .int(Int64(clamping: head.position))), ("hash", .string(Hex.encode(head.hash)))])),
        ])
    }
}

/// One thing `verify` found wrong, naming the position where it can.
public struct VerifyProblem: Sendable, Hashable, CustomStringConvertible {
    /// The position of the event at fault, when one is.
    public var position: UInt64?
    /// What is wrong.
    public var message: String
    /// `position N: message`, or the message alone.
    public var description: String {
        guard let position else { return message }
        return "position \(position): \(message)"
    }
}

extension Ledger {
    /// Verifies the store (DESIGN.md §3): recomputes the hash chain from position 1, checks that
    /// positions have no gap, that every index entry (event ids, campaign and contact streams)
    /// agrees with the log and none points past the last event, that the stored head matches,
    /// and that the active projections equal a fresh fold of the log. With `checkpoint`, also that
    /// the chain hash at that position is the published one.
    ///
    /// The log up to the head seen at the start never changes (nothing updates or deletes an
    /// event), so it is read in chunks of short read transactions: a long verify beside a busy
    /// writer would otherwise keep LMDB from reusing freed pages, and the file would grow behind
    /// it. The events appended meanwhile, the head, the indexes and the projections are then
    /// checked in one read transaction (one consistent snapshot).
    public func verify(
        checkpoint: (position: UInt64, hash: [UInt8])? = nil,
        progress: ((UInt64, UInt64) -> Void)? = nil
    ) throws -> VerifyReport {
        try verify(checkpoint: checkpoint, progress: progress, chunk: 50_000)
    }

    /// `verify` reading at most `chunk` events per read transaction of its chain walk.
    func verify(
        checkpoint: (position: UInt64, hash: [UInt8])?, progress: ((UInt64, UInt64) -> Void)?, chunk: Int
    ) throws -> VerifyReport {
        let build = try store.answeringBuild()
        let start = try store.head().position
        var walk = LogWalk(checkpoint: checkpoint, total: start, progress: progress)
        let events = store.layout.events
        while try store.environment.read({ txn in try walk.walk(txn, events, upTo: start, limit: chunk) }) {}
        return try store.environment.read { txn in try verify(txn, walk: &walk, build: build) }
    }

    private func verify(_ txn: borrowing Transaction, walk: inout LogWalk, build: BuildStorage) throws -> VerifyReport {
        let layout = store.layout
        let stored = try store.head(txn)
        _ = try walk.walk(txn, layout.events)  // the events appended since the walk started
        var report = walk.report
        var problems = walk.problems
        let projector = walk.projector
        let (checkpoint, checkpointSeen, chainBroken) = (walk.checkpoint, walk.checkpointSeen, walk.chainBroken)
        let last = report.head.position
        if stored.position != last {
            let deleted: String = stored.position > last ? ": events after \(last) were deleted" : ""
            problems.append(VerifyProblem(
                position: min(stored.position, last) + 1,
                message: "the stored head is position \(stored.position) but the log ends at \(last)\(deleted)"))
        } else if stored.hash != report.head.hash && !chainBroken {
            problems.append(VerifyProblem(position: last, message: "the stored head hash differs from the chain"))
        }
        let logProblems = problems
        problems += walk.checkpointProblems
        if let checkpoint, !checkpointSeen {
            problems.append(VerifyProblem(
                position: checkpoint.position, message: "the checkpoint's position is not in the log (it ends at \(last))"))
        }
        // Indexes against the log, without holding either in memory: every entry must name an
        // event of the log that has that id (or is in that stream), and each index must have as
        // many entries as the walk counted events for it. Keys are distinct and an event has one
        // id, campaign and contact, so no two entries can match one event: together, one entry
        // per event.
        func event(at position: UInt64, _ check: (RecordView) -> Bool) throws -> Bool {
            guard position <= last, let bytes = try position.bigEndianBytes.withUnsafeBytes({ try txn.get(layout.events, $0) }),
                let view = try? RecordView(bytes)
            else { return false }
            return check(view)
        }
        var idEntries: UInt64 = 0
        // `ids`, `campaign_positions`, `contact_positions` hold each key's positions as sorted
        // duplicates: the walk visits every (key, position) pair.
        try txn.forEach(layout.ids) { key, value in
            idEntries += 1
            let position = value.count == 8 ? UInt64(bigEndianBytes: value) ?? 0 : 0
            if try !event(at: position, { $0.idString().map { StoreLayout.idKey($0).elementsEqual(key) } ?? false }) {
                let digest = hex(Array(key))
                problems.append(VerifyProblem(
                    position: position,
                    message: position > last ? "the `ids` entry \(digest) points past the last event (\(last))"
                        : "the `ids` entry \(digest) points at an event with another id"))
            }
            return true
        }
        if idEntries != walk.idCount {
            problems.append(VerifyProblem(position: nil, message: "`ids` has \(idEntries) entries for \(walk.idCount) events"))
        }
        let streams = [
            (layout.campaignStreams, walk.campaignStreamCount, "campaign_positions", false),
            (layout.contactStreams, walk.contactStreamCount, "contact_positions", true),
        ]
        for (db, wanted, name, ofContacts) in streams {
            var seen: UInt64 = 0
            try txn.forEach(db) { key, value in
                seen += 1
                let position = value.count == 8 ? UInt64(bigEndianBytes: value) ?? 0 : 0
                let matches = try event(at: position) { view in
                    guard let entry = LogWalk.streamKey(view, contacts: ofContacts) else { return false }
                    return entry.elementsEqual(key)
                }
                if !matches {
                    let what: String = position > last ? "points past the last event (\(last))" : "does not match its event"
                    problems.append(VerifyProblem(position: position, message: "a `\(name)` entry \(what)"))
                }
                return true
            }
            if seen != wanted {
                problems.append(VerifyProblem(position: nil, message: "`\(name)` has \(seen) entries for \(wanted) events"))
            }
        }
        // Projections against a fresh fold — of an intact log only: a fold of a damaged log
        // differs everywhere the damage reaches, and would name an earlier contact's position
        // instead of the damaged event's.
        let checkpointPosition = try self.checkpoint(build, txn)
        if checkpointPosition > last {
            problems.append(VerifyProblem(position: checkpointPosition, message: "the projection checkpoint points past the last event (\(last))"))
        } else if !logProblems.isEmpty {
            problems.append(VerifyProblem(position: nil, message: "projections not compared with a fold: the log itself is damaged"))
        } else if checkpointPosition == last {
            problems += try compareProjections(projector, build, txn)
        } else {
            report.projectionLag = last - checkpointPosition
        }
        report.problems = problems.sorted { ($0.position ?? .max) < ($1.position ?? .max) }
        return report
    }

    /// Compares the stored build with an in-memory fold of the whole log.
    private func compareProjections(_ projector: Projector, _ build: BuildStorage, _ txn: borrowing Transaction) throws -> [VerifyProblem] {
        var problems: [VerifyProblem] = []
        var stored = 0
        try txn.forEach(build.campaigns) { _, _ in
            stored += 1
            return true
        }
        if stored != projector.campaigns.count {
            problems.append(VerifyProblem(position: nil, message: "build \(build.number) has \(stored) campaigns, the log \(projector.campaigns.count)"))
        }
        for entry in projector.campaigns {
            guard let agg = try build.aggregate(entry.id, txn) else {
                problems.append(VerifyProblem(position: nil, message: "build \(build.number) lacks campaign \(quoted(entry.id))"))
                continue
            }
            let maxDeliver = try build.maximum(entry.id, .deliver, txn)
            let maxRead = try build.maximum(entry.id, .read, txn)
            if agg != entry.aggregate || maxDeliver != entry.deliverTimes.max || maxRead != entry.readTimes.max {
                problems.append(VerifyProblem(position: nil, message: "campaign \(quoted(entry.id)) in build \(build.number) differs from a fold of the log"))
            }
            for (contact, fold) in entry.contacts {
                if try build.fold(ContactIdentity(campaign: entry.id, contact: contact), txn) != fold {
                    problems.append(VerifyProblem(
                        position: fold.lastPosition,
                        message: "contact \(entry.id)/\(contact) in build \(build.number) differs from a fold of the log"))
                }
            }
        }
        return problems
    }
}


/// The state of `verify`'s walk along the log, carried across its read transactions.
private struct LogWalk {
    let checkpoint: (position: UInt64, hash: [UInt8])?
    /// The head position when the walk started, for progress.
    let total: UInt64
    let progress: ((UInt64, UInt64) -> Void)?
    var report = VerifyReport(head: .empty)
    var problems: [VerifyProblem] = []
    var checkpointProblems: [VerifyProblem] = []
    var previous = LogHead.empty.hash
    var expected: UInt64 = 1
    var projector = Projector()
    /// Events that must have an entry in `ids`, `campaign_positions`, `contact_positions`.
    var idCount: UInt64 = 0
    var campaignStreamCount: UInt64 = 0
    var contactStreamCount: UInt64 = 0
    var checkpointSeen = false
    var chainBroken = false
    /// The last key of `events` visited; the next transaction goes on after it.
    var lastKey: [UInt8]?

    init(checkpoint: (position: UInt64, hash: [UInt8])?, total: UInt64, progress: ((UInt64, UInt64) -> Void)?) {
        self.checkpoint = checkpoint
        self.total = total
        self.progress = progress
    }

    /// Visits the entries of `events` after `lastKey` in `txn`, up to position `upTo`. Returns
    /// true when it stopped because `limit` entries were visited (there may be more).
    mutating func walk(
        _ txn: borrowing Transaction, _ events: Database, upTo: UInt64 = .max, limit: Int = .max
    ) throws -> Bool {
        var visited = 0
        var full = false
        let resume = lastKey
        try txn.forEach(events, from: resume ?? []) { key, value in
            if let resume, key.elementsEqual(resume) { return true }
            if key.count == 8, let position = UInt64(bigEndianBytes: key), position > upTo { return false }
            if visited == limit {
                full = true
                return false
            }
            visit(key, value)
            lastKey = Array(key)
            visited += 1
            return true
        }
        return full
    }

    /// Checks one entry of `events`: its key, its record, the chain; collects what the index
    /// and projection checks need.
    private mutating func visit(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
        guard let position = UInt64(bigEndianBytes: key), key.count == 8 else {
            problems.append(VerifyProblem(position: nil, message: "a key of `events` is not a u64 position"))
            return
        }
        if position != expected {
            problems.append(VerifyProblem(
                position: expected,
                message: position > expected
                    ? "missing: the log jumps from position \(expected - 1) to \(position)"
                    : "position \(position) is out of order"))
            expected = position
            chainBroken = true
        }
        let record: RecordedEvent
        do {
            record = try EventRecord.decode(value)
        } catch {
            problems.append(VerifyProblem(position: position, message: "the stored event does not decode (\(error))"))
            chainBroken = true
            expected = position + 1
            return
        }
        if record.position != position {
            problems.append(VerifyProblem(position: position, message: "the record says position \(record.position)"))
        }
        let hash = ExportLine.chain(previous: previous, digest: ExportLine.digest(record))
        if !chainBroken && hash != record.hash {
            problems.append(VerifyProblem(position: position, message: "hash mismatch: the event or its predecessor was changed"))
            chainBroken = true
        }
        previous = hash
        if let checkpoint, checkpoint.position == position {
            checkpointSeen = true
            if hash != checkpoint.hash {
                checkpointProblems.append(VerifyProblem(
                    position: position,
                    message: "the history up to the checkpoint was changed: hash \(hex(hash)), checkpoint \(hex(checkpoint.hash))"))
            }
        }
        if record.event.id != nil { idCount += 1 }
        campaignStreamCount += 1
        if Self.hasContactStream(record.event.type, hasContact: record.event.contact != nil) { contactStreamCount += 1 }
        projector.apply(record)
        report.eventsChecked += 1
        report.head = LogHead(position: position, recordedAtMicros: record.recordedAtMicros, hash: hash)
        expected = position + 1
        if position % 100_000 == 0 { progress?(position, total) }
    }
}

extension LogWalk {
    /// Whether an event has an entry in `contact_streams` (as the append path writes them).
    static func hasContactStream(_ type: EventType, hasContact: Bool) -> Bool { type.isContactEvent && hasContact }

    /// The key of a stored event's entry in `campaign_streams` (or, with `contacts`, in
    /// `contact_streams`; nil when it has none there).
    static func streamKey(_ view: RecordView, contacts: Bool) -> [UInt8]? {
        let campaign = view.string(view.spans.campaign) ?? ""
        guard contacts else { return StoreLayout.campaignPrefix(campaign) }
        guard hasContactStream(view.type, hasContact: view.hasContact), let contact = view.string(view.spans.contact) else {
            return nil
        }
        return StoreLayout.contactStreamPrefix(campaign, contact)
    }
}
