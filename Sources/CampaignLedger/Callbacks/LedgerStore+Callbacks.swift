import Foundation
import LMDB

/// The statuses of one provider request: each is tied, appended or parked on its own (a
/// status that cannot be appended does not fail the others).
struct CallbackBatch: CommitUnit {
    var statuses: [ProviderStatus]
    var size: Int { statuses.count }
}

extension LedgerStore {
    /// Ties each status to its contact and appends it, or parks it, all in one write
    /// transaction (http.md §3).
    func receive(_ batches: [CallbackBatch]) throws -> [Result<[CallbackOutcome], LedgerError>] {
        guard !isReadOnly else {
            throw LedgerError.unavailable("\(path) is opened read-only; callbacks need a writable store")
        }
        while true {
            do {
                return try environment.write { txn in
                    let session = try AppendSession(self, expectedEvents: batches.reduce(0) { $0 + $1.size }, txn)
                    var results: [Result<[CallbackOutcome], LedgerError>] = []
                    for batch in batches {
                        var outcomes: [CallbackOutcome] = []
                        for status in batch.statuses { outcomes.append(try receive(status, session, txn)) }
                        results.append(.success(outcomes))
                    }
                    try session.finish(txn)
                    return results
                }
            } catch let missing as MissingStorage {
                if let info = try environment.read({ txn in try buildInfo(missing.number, txn) }) { try openBuild(info) }
            }
        }
    }

    /// One status: a retry of an appended one is a duplicate; one that cannot be mapped, or
    /// whose contact is not known yet, is parked; else it is appended (and the callbacks
    /// parked for the message id it records follow it).
    private func receive(_ status: ProviderStatus, _ session: AppendSession, _ txn: borrowing Transaction) throws -> CallbackOutcome {
        if let position = try session.validator.position(ofID: status.eventID, txn) {
            try session.redelivered(id: status.eventID, repeats: position, txn)
            return .duplicate(position: position, id: status.eventID)
        }
        let at = status.at ?? RFC3339.formatMicros(session.recordedAt)
        let parked = ParkedCallback(status: status, reason: "", receivedAtMicros: session.recordedAt, at: at)
        if let problem = status.problem { return try park(parked, because: problem, session, txn) }
        let target: ProviderRefs.Target
        if let c = status.correlation {
            target = .init(campaign: c.campaign, contact: c.contact, attempt: c.attempt ?? 0)
        } else if let ref = status.recordableRef, let found = try lookUp(ref: ref, session, txn) {
            target = found
        } else {
            return try park(
                parked,
                because: "no event records message id \(status.messageID ?? "") yet and the callback carries no correlation data; applied when one does",
                session, txn)
        }
        switch try append(parked, to: target, parkedAt: nil, session, txn) {
        case .success(let outcome): return outcome
        case .failure(let problem): return try park(parked, because: problem.message, session, txn)
        }
    }

    /// Appends a status as the `contact.status` event of `target` (attempt 0: resolved by the
    /// ledger), or says why it cannot be.
    private func append(
        _ p: ParkedCallback, to target: ProviderRefs.Target, parkedAt: Int64?, _ session: AppendSession,
        _ txn: borrowing Transaction
    ) throws -> Result<CallbackOutcome, ParkProblem> {
        let event: Event
        do {
            event = try p.event(campaign: target.campaign, contact: target.contact, attempt: target.attempt == 0 ? nil : target.attempt, parkedAt: parkedAt)
        } catch let e as InputError {
            return .failure(ParkProblem(message: "rejected: \(e.field): \(e.message)"))
        }
        session.validator.beginRequest()
        let admission: Admission
        do {
            admission = try session.validator.admit(event, txn, anyContentIsDuplicate: true)
        } catch let e as InputError {
            session.validator.rejectRequest()
            return .failure(ParkProblem(message: "rejected: \(e.field): \(e.message)"))
        }
        session.validator.acceptRequest()
        switch admission {
        case .append(let event, let position):
            try session.write(event, position: position, txn)
            if parkedAt == nil, session.parkedCount > 0, let ref = event.providerRef { try applyParked(ref: ref, session, txn) }
            return .success(.appended(position: position, id: event.id!))
        case .duplicate(let position):
            try session.redelivered(id: event.id!, repeats: position, txn)
            return .success(.duplicate(position: position, id: event.id!))
        }
    }

    struct ParkProblem: Error { var message: String }

    private func park(
        _ p: ParkedCallback, because reason: String, _ session: AppendSession, _ txn: borrowing Transaction
    ) throws -> CallbackOutcome {
        if try putParked(p, because: reason, txn) { session.parkedCount += 1 }
        return .parked(id: p.status.eventID, reason: reason)
    }

    /// Stores a parked callback with its reason; a retry of one parked before stays one entry,
    /// received when it first came. Returns whether the entry is new.
    func putParked(_ p: ParkedCallback, because reason: String, _ txn: borrowing Transaction) throws -> Bool {
        guard let db = layout.parked else {
            throw LedgerError.unavailable("\(path) has no table of parked callbacks; open it writable once")
        }
        var p = p
        p.reason = reason
        let key = ParkedCallback.key(ref: p.status.recordableRef, id: p.status.eventID)
        var new = true
        if let old = try txn.get(db, key), let kept = ParkedCallback(stored: old) {
            p.receivedAtMicros = kept.receivedAtMicros
            p.at = kept.at
            new = false
        }
        try txn.put(db, key, p.stored)
        return new
    }

    private func lookUp(ref: String, _ session: AppendSession, _ txn: borrowing Transaction) throws -> ProviderRefs.Target? {
        try session.providerRefTarget(ref, txn)
    }

    /// Appends the callbacks parked for `ref` now that an event records it (in the same
    /// transaction), each after the event; one that is still rejected stays parked with the
    /// new reason.
    func applyParked(ref: String, _ session: AppendSession, _ txn: borrowing Transaction) throws {
        guard let db = layout.parked, session.parkedCount > 0 else { return }
        let prefix = ParkedCallback.prefix(ref: ref)
        var waiting: [([UInt8], ParkedCallback)] = []
        try txn.forEach(db, prefix: prefix) { key, value in
            if let p = ParkedCallback(stored: Array(value)) { waiting.append((Array(key), p)) }
            return true
        }
        guard !waiting.isEmpty, let target = try lookUp(ref: ref, session, txn) else { return }
        for (key, p) in waiting {
            let tied = p.status.correlation.map { ProviderRefs.Target(campaign: $0.campaign, contact: $0.contact, attempt: $0.attempt ?? 0) }
            switch try append(p, to: tied ?? target, parkedAt: p.receivedAtMicros, session, txn) {
            case .success:
                _ = try txn.delete(db, key)
                session.parkedCount -= 1
            case .failure(let problem):
                var kept = p
                kept.reason = problem.message
                try txn.put(db, key, kept.stored)
            }
        }
    }

    // MARK: The parked table

    func parkedCallbackCount() throws -> Int {
        guard let db = layout.parked else { return 0 }
        return try environment.read { txn in try txn.statistics(db).entries }
    }

    func parkedCallbacks() throws -> [ParkedCallback] {
        guard let db = layout.parked else { return [] }
        return try environment.read { txn in
            var out: [ParkedCallback] = []
            try txn.forEach(db) { _, value in
                guard let p = ParkedCallback(stored: Array(value)) else {
                    throw LedgerError.corrupted("a parked callback does not decode")
                }
                out.append(p)
                return true
            }
            return out
        }
    }

    /// Deletes the parked callbacks received before `micros`; returns how many.
    func dropParkedCallbacks(receivedBefore micros: Int64) throws -> Int {
        guard !isReadOnly else {
            throw LedgerError.unavailable("\(path) is opened read-only; dropping parked callbacks needs a writable store")
        }
        guard let db = layout.parked else { return 0 }
        return try environment.write { txn in
            var doomed: [[UInt8]] = []
            try txn.forEach(db) { key, value in
                if let p = ParkedCallback(stored: Array(value)), p.receivedAtMicros < micros { doomed.append(Array(key)) }
                return true
            }
            for key in doomed { _ = try txn.delete(db, key) }
            return doomed.count
        }
    }
}
