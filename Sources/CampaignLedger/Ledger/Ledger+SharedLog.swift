import Foundation

/// What `Ledger.verifyLog` found: the shared log's chain recomputed from its canonical bytes,
/// and this replica held against it.
public struct LogVerification: Sendable {
    /// The shared log's name (no password).
    public var log: String
    /// Events of the log checked.
    public var events: UInt64
    /// The log's head (its last event's position and hash).
    public var logHead: LogHead
    /// This store's head.
    public var replicaHead: LogHead
    /// The first problem, with the position it is at; nil when the log verifies and the replica
    /// is a prefix of it.
    public var problem: (position: UInt64, message: String)?

    public var ok: Bool { problem == nil }

    /// The `--json` answer.
    public var json: JSONOutput {
        .object([
            ("ok", .bool(ok)),
            ("log", .string(log)),
            ("events", .int(Int64(clamping: events))),
            ("head", .object([("position", .int(Int64(clamping: logHead.position))), ("hash", .string(Hex.encode(logHead.hash)))])),
            ("replica", .object([
                ("position", .int(Int64(clamping: replicaHead.position))), ("hash", .string(Hex.encode(replicaHead.hash))),
                ("lag", .int(Int64(clamping: logHead.position > replicaHead.position ? logHead.position - replicaHead.position : 0))),
            ])),
            ("problem", problem.map { .object([("position", .int(Int64(clamping: $0.position))), ("message", .string($0.message))]) } ?? .null),
        ])
    }
}

extension Ledger {
    /// The shared log this ledger follows, or a usage error saying how to give one.
    private func sharedReplica() throws -> LogReplica {
        guard let replica else {
            throw LedgerError.usage("no shared log: give --log postgres://… (or set LEDGER_LOG_URL)")
        }
        return replica
    }

    /// Applies every event the shared log holds past this store's head (DESIGN.md §8): each at
    /// its position with its hash checked against this store's chain; then appends, through the
    /// log, the callbacks parked here whose message id an applied event records. Returns how many
    /// events were applied; `LedgerError.diverged` names the first position that disagrees.
    @discardableResult
    public func catchUpWithLog() async throws -> UInt64 {
        let replica = try sharedReplica()
        let applied = try await replica.catchUp()
        // Callbacks parked here for a message id another host recorded follow, through the log.
        if applied > 0 { try await replica.drainParked() }
        return applied
    }

    /// Follows the shared log until the task is cancelled: catches up, then waits for the log's
    /// notifications, polling every `pollInterval` as a fallback, and applies what arrives.
    /// `applied` is called with the new head after each applied chunk. An unreachable log is
    /// retried (after `pollInterval`); a disagreement (`LedgerError.diverged`) ends it.
    public func followLog(
        pollInterval: Duration = .seconds(1), applied: (@Sendable (LogHead) -> Void)? = nil,
        unreachable: (@Sendable (LedgerError) -> Void)? = nil
    ) async throws {
        let replica = try sharedReplica()
        while !Task.isCancelled {
            do {
                if try await replica.catchUp() > 0 {
                    applied?(try store.head())
                    // Callbacks parked here for a message id another host recorded.
                    try await replica.drainParked()
                    continue
                }
                try await replica.log.waitForAppends(after: try store.head().position, timeout: pollInterval)
            } catch let error as LedgerError where error.exitCode == 69 {
                unreachable?(error)
                try await Task.sleep(for: pollInterval)
            }
        }
    }

    /// The shared log's head beside this store's: the replica's lag.
    public func logStatus() async throws -> ReplicaStatus {
        let replica = try sharedReplica()
        let logHead = try await replica.log.head()
        return ReplicaStatus(log: replica.log.name, logHead: logHead, replicaHead: try store.head())
    }

    /// Verifies the shared log: positions from 1 without a gap, each event's chain hash
    /// recomputed from its canonical bytes, each address against the digest the chain covers,
    /// the log's head at its last event; then this store against it: the replica's head hash
    /// must be the log's at the same position (a replica ahead of the log holds what the log
    /// never committed).
    public func verifyLog(progress: (@Sendable (UInt64) -> Void)? = nil) async throws -> LogVerification {
        let replica = try sharedReplica()
        let log = replica.log
        let logHead = try await log.head()
        let replicaHead = try store.head()
        var result = LogVerification(log: log.name, events: 0, logHead: logHead, replicaHead: replicaHead, problem: nil)
        var previous = ExportLine.genesis
        var position: UInt64 = 0
        var hashAtReplicaHead: [UInt8]? = replicaHead.position == 0 ? ExportLine.genesis : nil
        func fail(_ p: UInt64, _ message: String) -> LogVerification {
            var r = result
            r.problem = (p, message)
            return r
        }
        while position < logHead.position {
            let events = try await log.events(after: position, limit: LogReplica.chunk)
            if events.isEmpty { break }
            for e in events {
                let expected = position + 1
                if e.position != expected {
                    return fail(expected, "the log has no event at position \(expected) (the next is \(e.position))")
                }
                let hash = ExportLine.chain(previous: previous, digest: SHA256Digest.hash(Array(e.canonical.utf8)))
                if hash != e.hash {
                    return fail(e.position, "the chain breaks: the event's canonical bytes do not hash to its stored hash")
                }
                if let problem = Self.addressProblem(e) { return fail(e.position, problem) }
                previous = hash
                position = e.position
                result.events += 1
                if position == replicaHead.position { hashAtReplicaHead = hash }
            }
            progress?(position)
        }
        if position != logHead.position || previous != logHead.hash {
            return fail(position, "the log's head row says position \(logHead.position), its events end at \(position)")
        }
        if replicaHead.position > logHead.position {
            return fail(
                logHead.position + 1,
                "this replica holds \(replicaHead.position - logHead.position) events past the log's head (\(logHead.position)), which the log never committed")
        }
        if hashAtReplicaHead != replicaHead.hash {
            return fail(replicaHead.position, "this replica's head hash is not the log's at the same position")
        }
        return result
    }

    /// Whether a logged event's address and salt hash to the `addressDigest` its canonical bytes
    /// hold (the chain covers the digest, not the address).
    static func addressProblem(_ e: LoggedEvent) -> String? {
        guard let address = e.address else {
            // None, or erased (docs/erasure.md): then no salt either.
            return e.addressSalt == nil ? nil : "the event has an address salt but no address"
        }
        let marker = #","addressDigest":""#
        guard let range = e.canonical.range(of: marker) else {
            return "the event has an address but its canonical bytes no addressDigest"
        }
        let digest = e.canonical[range.upperBound...].prefix(64)
        guard let salt = e.addressSalt, salt.count == 16 else { return "the event's address salt is missing or not 16 bytes" }
        if ExportLine.addressDigest(salt: salt, address: address) != String(digest) {
            return "the event's address does not match the addressDigest the chain covers"
        }
        return nil
    }

    /// Moves this store's history into an empty shared log (or one holding a prefix of it),
    /// keeping every position, recordedAt, salt and hash (`ledger log push`). Returns the events
    /// pushed. The way back is an export (`ledger export` on a replica, `import --restore`).
    @discardableResult
    public func push(
        to log: any SharedLog, batch: Int = 2_000, progress: (@Sendable (UInt64, UInt64) -> Void)? = nil
    ) async throws -> UInt64 {
        let local = try store.head()
        var logHead = try await log.head()
        if logHead.position > local.position {
            throw LedgerError.usage(
                "\(log.name) holds \(logHead.position) events, more than \(path) (\(local.position)): push only into an empty log or one this store follows")
        }
        if logHead.position > 0 {
            guard let mine = try event(at: logHead.position), mine.hash == logHead.hash else {
                throw LedgerError.diverged(
                    position: logHead.position, "\(log.name) is not a prefix of \(path): its head hash differs from this store's")
            }
        }
        var pushed: UInt64 = 0
        while logHead.position < local.position {
            let records = try events(from: logHead.position + 1, limit: min(batch, Int(local.position - logHead.position)))
            guard let last = records.last else { break }
            switch try await log.append(try store.logged(records), after: logHead) {
            case .committed:
                pushed += UInt64(records.count)
                logHead = LogHead(position: last.position, recordedAtMicros: last.recordedAtMicros, hash: last.hash)
                progress?(logHead.position, local.position)
            case .headMoved(let to, _):
                throw LedgerError.unavailable(
                    "\(log.name) moved to position \(to) while pushing (another host appends to it): \(pushed) events were pushed; stop the other appenders and push again")
            }
        }
        return pushed
    }
}
