import Foundation
import LMDB
import Synchronization

/// A log shared by several hosts (DESIGN.md §8, docs/scale-out.md): the authority for positions,
/// ids and the hash chain, which every host's LMDB store follows as a replica. Without one
/// (`Ledger.Configuration.sharedLog` nil) the LMDB store alone is the log, as always.
///
/// The PostgreSQL implementation is `PostgresLog` in the `CampaignLedgerPostgres` product.
/// Errors leave as `LedgerError`: an unreachable log is `.unavailable` (exit 69).
public protocol SharedLog: Sendable {
    /// Where the log is, for messages (no password).
    var name: String { get }
    /// The log's last position, its recordedAt and chain hash (position 0: an empty log).
    func head() async throws -> LogHead
    /// Appends `events` at positions `head.position + 1`, `+ 2`, … atomically, if and only if
    /// the log's head is still `head` (position and hash); `.headMoved` otherwise, appending
    /// nothing. `.committed` means the log committed them durably.
    func append(_ events: [LoggedEvent], after head: LogHead) async throws -> SharedLogAppend
    /// Up to `limit` events after `position`, in position order.
    func events(after position: UInt64, limit: Int) async throws -> [LoggedEvent]
    /// Returns when the log may have grown past `position` (a notification), or after `timeout`.
    func waitForAppends(after position: UInt64, timeout: Duration) async throws
}

/// What `SharedLog.append` did.
public enum SharedLogAppend: Sendable, Hashable {
    /// Committed at the positions asked for.
    case committed
    /// The log's head is no longer the one given: nothing was appended. `events` are those after
    /// the given head (all of them, or a first part: the caller reads the rest), so the caller
    /// catches up without another round trip, then retries.
    case headMoved(to: UInt64, events: [LoggedEvent])
}

/// One event as a shared log holds it: its canonical bytes (docs/format.md: the export line
/// without `hash`, the address replaced by its digest), which the chain covers, and beside them
/// the address and its salt, which the chain does not cover — so erasing them (issue #18,
/// docs/erasure.md) leaves the chain verifiable.
///
/// A `contact.added` whose address was erased has neither `address` nor `addressSalt` (its
/// canonical bytes keep the digest) and keeps `addressProblem`. A `contact.forgotten` sent to
/// the log carries `erases`: the log removes that contact's address and salt from its
/// `contact.added` in the transaction that appends the `contact.forgotten`.
public struct LoggedEvent: Sendable, Hashable {
    public var position: UInt64
    public var id: String
    public var recordedAtMicros: Int64
    /// The canonical bytes, UTF-8 JSON.
    public var canonical: String
    /// `contact.added`'s address, nil for other events.
    public var address: String?
    /// `contact.added`'s 16-byte address salt, nil for other events and once erased.
    public var addressSalt: [UInt8]?
    /// An erased `contact.added`'s: why its address was not dialable (the contact's
    /// `invalid_record` reason), nil when it was. Nil for every other event.
    public var addressProblem: String?
    /// hash(n) = SHA-256(hash(n−1) ‖ SHA-256(canonical)).
    public var hash: [UInt8]
    /// A `contact.forgotten` being appended: the erasure the log does with it. Nil otherwise, and
    /// on events read back from the log.
    public var erases: LoggedErasure?

    public init(
        position: UInt64, id: String, recordedAtMicros: Int64, canonical: String, address: String?,
        addressSalt: [UInt8]?, addressProblem: String? = nil, hash: [UInt8], erases: LoggedErasure? = nil
    ) {
        self.position = position
        self.id = id
        self.recordedAtMicros = recordedAtMicros
        self.canonical = canonical
        self.address = address
        self.addressSalt = addressSalt
        self.addressProblem = addressProblem
        self.hash = hash
        self.erases = erases
    }

    /// The shared log's form of an event this ledger recorded; `erases` as the caller found it.
    package init(_ r: RecordedEvent, erases: LoggedErasure? = nil) {
        let added = r.event.type == .contactAdded
        self.init(
            position: r.position, id: r.event.id ?? "", recordedAtMicros: r.recordedAtMicros,
            canonical: String(decoding: ExportLine.canonicalBytes(r), as: UTF8.self),
            address: added ? r.event.address : nil, addressSalt: added ? r.addressSalt : nil,
            addressProblem: added ? r.event.erasedAddress?.problem : nil, hash: r.hash, erases: erases)
    }

    /// The event and what the log assigned to it, read back from the canonical bytes (the
    /// address and salt put back where an export has them), for the replica to append at the
    /// same position — where its own chain hash is computed and must equal `hash`.
    func restorable() throws -> (event: Event, restored: Restored) {
        var line = Array(canonical.utf8)
        if let address {
            let marker = Array(#","addressDigest":""#.utf8)
            guard let at = line.firstRange(of: marker)?.lowerBound else {
                throw LedgerError.diverged(
                    position: position, "the log's event carries an address but its canonical bytes no addressDigest")
            }
            var inserted = Array(#","address":"#.utf8)
            JSONString.appendQuoted(address.utf8, to: &inserted)
            inserted += Array(#","addressSalt":""#.utf8) + Array(Hex.encode(addressSalt ?? []).utf8) + [UInt8(ascii: "\"")]
            line.insert(contentsOf: inserted, at: at)
        }
        let parsed: ParsedLine
        do {
            guard let p = try EventLineParser.parse(line) else {
                throw LedgerError.diverged(position: position, "the log's event is an empty line")
            }
            parsed = p
        } catch let e as InputError {
            throw LedgerError.diverged(position: position, "the log's event does not parse (\(e))")
        }
        guard parsed.readOnly.position == position else {
            throw LedgerError.diverged(
                position: position, "the log's event says position \(parsed.readOnly.position.map(String.init) ?? "none")")
        }
        guard let text = parsed.readOnly.recordedAt, let nanos = try? RFC3339.parseNanos(text), nanos / 1000 == recordedAtMicros
        else {
            throw LedgerError.diverged(position: position, "the log's recordedAt column and canonical bytes differ")
        }
        guard parsed.event.id == id else {
            throw LedgerError.diverged(position: position, "the log's id column and canonical bytes differ")
        }
        guard hash.count == 32, parsed.event.type != .contactAdded || addressSalt?.count == (address == nil ? nil : 16) else {
            throw LedgerError.diverged(position: position, "the log's hash or address salt has the wrong length")
        }
        var event = parsed.event
        if event.type == .contactAdded, address == nil, let erased = event.erasedAddress {
            // Erased (docs/erasure.md): the digest is in the canonical bytes, the problem beside them.
            event.erasedAddress = ErasedAddress(digest: erased.digest, problem: addressProblem)
        }
        return (event, Restored(position: position, recordedAtMicros: recordedAtMicros, addressSalt: addressSalt, hash: hash))
    }
}

/// What a shared log does with a `contact.forgotten` it appends (issue #18): it removes the
/// address and salt of the contact's `contact.added`, at `addedPosition` (its canonical bytes,
/// with the digest the chain covers, stay), and keeps `addressProblem` beside it, in the same
/// transaction as the append.
public struct LoggedErasure: Sendable, Hashable {
    /// The position of the contact's `contact.added`.
    public var addedPosition: UInt64
    /// Why the erased address was not dialable, nil when it was.
    public var addressProblem: String?

    public init(addedPosition: UInt64, addressProblem: String?) {
        self.addedPosition = addedPosition
        self.addressProblem = addressProblem
    }
}

/// How far a replica is behind its shared log (`Ledger.logStatus()`).
public struct ReplicaStatus: Sendable, Hashable {
    /// The shared log's name (no password).
    public var log: String
    /// The log's head.
    public var logHead: LogHead
    /// The replica's (this store's) head.
    public var replicaHead: LogHead
    /// Events in the log the replica has not applied.
    public var lag: UInt64 { logHead.position > replicaHead.position ? logHead.position - replicaHead.position : 0 }
}

/// Blocks the calling thread (never one of Swift's cooperative pool: the group committer's writer
/// thread, or a synchronous command) until `body` has run.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let result = Mutex<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        let r: Result<T, any Error>
        do { r = .success(try await body()) } catch { r = .failure(error) }
        result.withLock { $0 = r }
        done.signal()
    }
    done.wait()
    return try result.withLock { $0! }.get()
}

/// The local LMDB store as a replica of a shared log: appends go to the log first and are applied
/// here once it committed them; `catchUp` applies what other hosts appended.
final class LogReplica: Sendable {
    let store: LedgerStore
    let log: any SharedLog
    /// Events fetched from the log per read while catching up.
    static let chunk = 2_000

    init(store: LedgerStore, log: any SharedLog) {
        self.store = store
        self.log = log
    }

    /// Appends requests through the log (DESIGN.md §8): validated here against the replica at
    /// head H, sent as one batch "after H"; if the log moved, the replica catches up and the
    /// requests are judged again. Each request stays atomic; the ones accepted are acknowledged
    /// only after the log committed them and the replica applied them.
    func append(_ requests: [AppendRequest]) async throws -> [Result<[AppendOutcome], LedgerError>] {
        guard !store.isReadOnly else {
            throw LedgerError.unavailable("\(store.path) is opened read-only; appends need a writable store")
        }
        if requests.contains(where: { $0.restored != nil }) {
            throw LedgerError.usage(
                "import --restore does not go through a shared log: restore into a store without --log, then `ledger log push`")
        }
        var attempts = 0
        var caughtUp = false
        while true {
            attempts += 1
            let prepared = try store.prepareForLog(requests)
            // A request refused by a replica that lags may be valid against the log: the replica
            // catches up (one read) and judges again before the refusal stands.
            if !caughtUp && prepared.results.contains(where: { if case .failure = $0 { true } else { false } }) {
                caughtUp = true
                if try await catchUp() > 0 { continue }
            }
            if prepared.records.isEmpty {
                try store.recordRedeliveries(prepared.results)
                return prepared.results
            }
            let outcome = try await log.append(prepared.logged, after: prepared.head)
            switch outcome {
            case .committed:
                do {
                    try store.applyFromLog(prepared.records.map { ($0.event, Restored($0)) })
                } catch {
                    throw LedgerError.unavailable(
                        "the shared log committed positions \(prepared.records.first!.position)-\(prepared.records.last!.position) but this replica did not apply them (\(error)); `ledger follow` or the next append applies them")
                }
                try store.recordRedeliveries(prepared.results)
                return prepared.results
            case .headMoved(let to, let events):
                if attempts > 1_000 {
                    throw LedgerError.unavailable("the shared log kept moving: \(attempts) tries to append; retry")
                }
                try apply(events)
                if try store.head().position < to { try await catchUp() }
                caughtUp = true
            }
        }
    }

    /// Applies events read from the log (a chunk in position order); what precedes a disagreement
    /// is applied, the disagreement is thrown. Returns how many were applied.
    @discardableResult
    func apply(_ events: [LoggedEvent]) throws -> UInt64 {
        var entries: [(event: Event, restored: Restored)] = []
        var stop: LedgerError?
        for e in events {
            do {
                entries.append(try e.restorable())
            } catch let error as LedgerError {
                stop = error
                break
            }
        }
        var applied: UInt64 = 0
        do {
            applied = UInt64(try store.applyFromLog(entries))
        } catch LedgerError.diverged(let position, let why) {
            try store.applyFromLog(entries.filter { $0.restored.position < position })
            throw LedgerError.diverged(position: position, why)
        }
        if let stop { throw stop }
        return applied
    }

    /// Applies every event the log has past the replica's head; returns how many.
    @discardableResult
    func catchUp() async throws -> UInt64 {
        var applied: UInt64 = 0
        while true {
            let head = try store.head()
            let events = try await log.events(after: head.position, limit: Self.chunk)
            if events.isEmpty { return applied }
            applied += try apply(events)
            if events.count < Self.chunk { return applied }
        }
    }
}

extension Restored {
    init(_ r: RecordedEvent) {
        self.init(position: r.position, recordedAtMicros: r.recordedAtMicros, addressSalt: r.addressSalt, hash: r.hash)
    }
}

/// Requests judged against the replica, ready to send to the shared log.
struct PreparedAppend {
    /// The replica's head they were judged at.
    var head: LogHead
    /// The events to append, with positions, recordedAt, salts and chain hashes.
    var records: [RecordedEvent]
    /// `records` as the log gets them: a `contact.forgotten` with the erasure it makes.
    var logged: [LoggedEvent]
    /// Per request: its outcomes, or why it was rejected.
    var results: [Result<[AppendOutcome], LedgerError>]
}

extension LedgerStore {
    /// Judges requests as `append` would, in a read transaction, and assigns what the log will
    /// hold: positions after the head, one recordedAt (the clock, never before the head's), a
    /// random salt per address, the chain. Writes nothing.
    func prepareForLog(_ requests: [AppendRequest]) throws -> PreparedAppend {
        try environment.read { txn in
            let head = try head(txn)
            var validator = Validator(layout: layout, head: head.position)
            validator.reserveCapacity(requests.reduce(0) { $0 + $1.events.count })
            let recordedAt = max(Clock.nowMicros(), head.recordedAtMicros)
            var previous = head.hash
            var records: [RecordedEvent] = []
            var logged: [LoggedEvent] = []
            var results: [Result<[AppendOutcome], LedgerError>] = []
            // Streams the requests before this one extended (the store does not hold them yet).
            var streamEnds: [String: UInt64] = [:]
            func streamKey(_ campaign: String, _ contact: String?) -> String {
                contact.map { "\(campaign.utf8.count):\(campaign)/\($0)" } ?? campaign
            }
            for request in requests {
                validator.beginRequest()
                var admitted: [Admission] = []
                do {
                    for e in request.expectations {
                        let actual = try streamEnds[streamKey(e.campaign, e.contact)] ?? streamVersion(e, txn)
                        if actual != e.version {
                            throw LedgerError.versionConflict(
                                stream: e.contact.map { "\(e.campaign)/\($0)" } ?? e.campaign, expected: e.version,
                                actual: actual)
                        }
                    }
                    for (index, event) in request.events.enumerated() {
                        do {
                            admitted.append(try validator.admit(event, txn, anyContentIsDuplicate: request.anyContentIsDuplicate))
                        } catch let e as InputError {
                            throw LedgerError.invalidInput(e, index: index + 1)
                        }
                    }
                } catch let e as LedgerError {
                    validator.rejectRequest()
                    results.append(.failure(e))
                    continue
                }
                validator.acceptRequest()
                var outcomes: [AppendOutcome] = []
                for (index, admission) in admitted.enumerated() {
                    switch admission {
                    case .append(let event, let position):
                        var record = RecordedEvent(
                            position: position, recordedAtMicros: recordedAt, event: event,
                            addressSalt: event.type == .contactAdded ? Self.randomSalt() : nil, hash: [])
                        record.hash = ExportLine.chain(previous: previous, digest: ExportLine.digest(record))
                        previous = record.hash
                        records.append(record)
                        logged.append(LoggedEvent(record, erases: try logErasure(event, pending: records, txn)))
                        streamEnds[streamKey(event.campaign, nil)] = position
                        if let contact = event.contact, event.type.isContactEvent {
                            streamEnds[streamKey(event.campaign, contact)] = position
                        }
                        outcomes.append(.appended(position: position, id: event.id!))
                    case .duplicate(let position):
                        outcomes.append(.duplicate(position: position, id: request.events[index].id!))
                    }
                }
                results.append(.success(outcomes))
            }
            return PreparedAppend(head: head, records: records, logged: logged, results: results)
        }
    }

    /// For a `contact.forgotten` going to a shared log: the position of the contact's
    /// `contact.added` (in this store, or among `pending`, the events of the same append) and
    /// whether its address is dialable, which the log keeps once the address is gone. Nil for
    /// other events.
    func logErasure(_ event: Event, pending: [RecordedEvent], _ txn: borrowing Transaction) throws -> LoggedErasure? {
        guard event.type == .contactForgotten, let contact = event.contact else { return nil }
        let added: RecordedEvent
        if let first = try streamEnd(campaign: event.campaign, contact: contact, last: false, txn) {
            added = try Self.decodeRecord(at: first, txn, layout)
        } else if let first = pending.first(where: {
            $0.event.type == .contactAdded && $0.event.contact == contact && $0.event.campaign == event.campaign
        }) {
            added = first
        } else {
            throw LedgerError.internal("contact \(contact) of campaign \(event.campaign) has no contact.added to erase")
        }
        guard added.event.type == .contactAdded else {
            throw LedgerError.corrupted(
                "the first event of contact \(contact) of campaign \(event.campaign) (position \(added.position)) is not its contact.added")
        }
        let problem = added.event.erasedAddress.map(\.problem) ?? added.event.address.flatMap(AddressRule.problem)
        return LoggedErasure(addedPosition: added.position, addressProblem: problem)
    }

    /// Recorded events of this store as a shared log gets them (`ledger log push`): a
    /// `contact.forgotten` with its erasure, so the log erases a copy it holds with the address.
    func logged(_ records: [RecordedEvent]) throws -> [LoggedEvent] {
        try environment.read { txn in
            try records.map { LoggedEvent($0, erases: try logErasure($0.event, pending: [], txn)) }
        }
    }

    /// Keeps the skipped re-deliveries among `results` in this store's side record (`history`
    /// shows them), as a local append does: the side record is the receiving host's own, not
    /// part of the shared log.
    func recordRedeliveries(_ results: [Result<[AppendOutcome], LedgerError>]) throws {
        var repeats: [(id: String, position: UInt64)] = []
        for case .success(let outcomes) in results {
            for case .duplicate(let position, let id) in outcomes { repeats.append((id, position)) }
        }
        guard !repeats.isEmpty else { return }
        try environment.write { txn in
            let after = try head(txn).position
            var count = try txn.get(layout.meta, StoreLayout.redeliveryCountKey).flatMap { UInt64(bigEndianBytes: $0) } ?? 0
            let received = Clock.nowMicros()
            for r in repeats {
                count += 1
                let side = Redelivery(sequence: count, id: r.id, repeats: r.position, after: after, receivedMicros: received)
                try txn.put(layout.redeliveries, count.bigEndianBytes, side.bytes)
            }
            try txn.put(layout.meta, StoreLayout.redeliveryCountKey, count.bigEndianBytes)
        }
    }

    /// Applies events of the shared log to this replica, in one write transaction: each at its
    /// position, judged by the same rules as any append, with its recordedAt and salt kept and
    /// its chain hash computed here and required to equal the log's. Events at or below the
    /// replica's head (another process of this host applied them) must have the hash the replica
    /// holds. Returns how many were applied. A disagreement is `LedgerError.diverged`.
    @discardableResult
    func applyFromLog(_ entries: [(event: Event, restored: Restored)]) throws -> Int {
        guard !entries.isEmpty else { return 0 }
        while true {
            do {
                return try environment.write { txn in
                    let head = try head(txn)
                    var fresh: [(event: Event, restored: Restored)] = []
                    for entry in entries {
                        let p = entry.restored.position
                        if p <= head.position {
                            guard let have = try record(at: p, txn) else {
                                throw LedgerError.diverged(position: p, "the replica has no event at a position below its head")
                            }
                            if have.hash != entry.restored.hash {
                                throw LedgerError.diverged(
                                    position: p,
                                    "the replica's hash \(Hex.encode(have.hash)) is not the log's \(Hex.encode(entry.restored.hash))")
                            }
                        } else {
                            fresh.append(entry)
                        }
                    }
                    guard let first = fresh.first else { return 0 }
                    if first.restored.position != head.position + 1 {
                        throw LedgerError.internal(
                            "the log's events start at position \(first.restored.position), after the replica's head \(head.position): catch up first")
                    }
                    let request = AppendRequest(events: fresh.map(\.event), restored: fresh.map(\.restored))
                    let result: [Result<[AppendOutcome], LedgerError>]
                    do {
                        result = try appendInTransaction([request], txn)
                    } catch LedgerError.invalidInput(let e, let index?) {
                        let p = fresh[index - 1].restored.position
                        throw LedgerError.diverged(position: p, "the log's event \(e)")
                    }
                    if case .failure(let error) = result[0] {
                        var p = first.restored.position
                        var why = "\(error)"
                        if case .invalidInput(let e, let index?) = error {
                            p = fresh[index - 1].restored.position
                            why = "\(e)"
                        }
                        throw LedgerError.diverged(position: p, "the log's event is refused here: \(why)")
                    }
                    return fresh.count
                }
            } catch let missing as MissingStorage {
                if let info = try environment.read({ txn in try buildInfo(missing.number, txn) }) { try openBuild(info) }
            }
        }
    }
}
