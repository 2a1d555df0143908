import LMDB

/// Provider callbacks on a ledger that follows a shared log (docs/scale-out.md, "Provider
/// callbacks"). The replica first catches up, so a message id recorded on another host is known;
/// each status is then tied to its contact against the replica, by the same rules as on a
/// ledger alone (http.md §3): a retry is a duplicate, correlation data names the contact, else
/// the `providerRef` index does. The events the tied statuses become go through the log like any
/// append, one request each, so that one refused status does not hold back the others. What
/// cannot be tied yet is parked in this host's own table, and appended through the log once an
/// event recording its message id reaches this replica: after each receive, each append of this
/// ledger, and each chunk `followLog` applies.
extension LogReplica {
    func receive(_ batches: [CallbackBatch]) async throws -> [Result<[CallbackOutcome], LedgerError>] {
        guard !store.isReadOnly else {
            throw LedgerError.unavailable("\(store.path) is opened read-only; callbacks need a writable store")
        }
        try await catchUp()
        let received = Clock.nowMicros()
        let callbacks = batches.flatMap(\.statuses).map {
            ParkedCallback(status: $0, reason: "", receivedAtMicros: received, at: $0.at ?? RFC3339.formatMicros(received))
        }
        let outcomes = try await deliver(callbacks, parkedKeys: nil)
        try await drainParked()
        var results: [Result<[CallbackOutcome], LedgerError>] = []
        var next = 0
        for batch in batches {
            results.append(.success(Array(outcomes[next..<next + batch.size])))
            next += batch.size
        }
        return results
    }

    /// Appends, through the log, the parked callbacks whose message id an event of this replica
    /// now records; one still refused stays parked with the new reason.
    func drainParked() async throws {
        guard let db = store.layout.parked, !store.isReadOnly else { return }
        let ready = try store.parkedWithKnownRef(db)
        guard !ready.isEmpty else { return }
        _ = try await deliver(ready.map(\.1), parkedKeys: ready.map(\.0))
    }

    /// What became of each callback. `parkedKeys`: the callbacks come from the parked table
    /// (under these keys); appended ones leave it, refused ones stay with the new reason.
    private func deliver(_ callbacks: [ParkedCallback], parkedKeys: [[UInt8]]?) async throws -> [CallbackOutcome] {
        let (plans, requests, redeliveries) = try store.plan(callbacks, fromParked: parkedKeys != nil)
        let results = requests.isEmpty ? [] : try await append(requests)
        try store.recordRedeliveries(redeliveries)

        var outcomes: [CallbackOutcome] = []
        var parks: [(ParkedCallback, String)] = []
        var unparked: [[UInt8]] = []
        for (index, plan) in plans.enumerated() {
            let p = callbacks[index]
            switch plan {
            case .known(let outcome):
                outcomes.append(outcome)
                if let keys = parkedKeys { unparked.append(keys[index]) }
            case .park(let reason):
                parks.append((p, reason))
                outcomes.append(.parked(id: p.status.eventID, reason: reason))
            case .send(let r):
                switch results[r] {
                case .success(let appended):
                    switch appended.first {
                    case .appended(let position, let id)?: outcomes.append(.appended(position: position, id: id))
                    case .duplicate(let position, let id)?: outcomes.append(.duplicate(position: position, id: id))
                    case nil: throw LedgerError.internal("an append request of one event gave no outcome")
                    }
                    if let keys = parkedKeys { unparked.append(keys[index]) }
                case .failure(let error):
                    let reason: String
                    if case .invalidInput(let e, _) = error { reason = "rejected: \(e.field): \(e.message)" } else { reason = "\(error)" }
                    parks.append((p, reason))
                    outcomes.append(.parked(id: p.status.eventID, reason: reason))
                }
            }
        }
        try store.keepParked(parks, unparked: unparked)
        return outcomes
    }
}

/// What receiving a callback through a shared log does with it, decided against the replica.
enum CallbackPlan {
    /// Known already: a duplicate.
    case known(CallbackOutcome)
    /// Parked, for this reason.
    case park(String)
    /// Sent to the log as the request at this index.
    case send(Int)
}

extension LedgerStore {
    /// Parked callbacks (key, callback) whose message id an event of this store now records.
    func parkedWithKnownRef(_ db: Database) throws -> [([UInt8], ParkedCallback)] {
        try environment.read { txn in
            guard try txn.statistics(db).entries > 0 else { return [] }
            var out: [([UInt8], ParkedCallback)] = []
            try txn.forEach(db) { key, value in
                if let p = ParkedCallback(stored: Array(value)), p.status.problem == nil, let ref = p.status.recordableRef,
                    try refTarget(ref, txn) != nil
                {
                    out.append((Array(key), p))
                }
                return true
            }
            return out
        }
    }

    /// Ties each callback to its contact against this store (http.md §3): the plan per
    /// callback, the append requests (one event each) and the re-deliveries to record.
    func plan(_ callbacks: [ParkedCallback], fromParked: Bool) throws
        -> ([CallbackPlan], [AppendRequest], [Result<[AppendOutcome], LedgerError>])
    {
        var plans: [CallbackPlan] = []
        var requests: [AppendRequest] = []
        var redeliveries: [Result<[AppendOutcome], LedgerError>] = []
        try environment.read { txn in
            // Message ids the statuses before this one record: a `sent` with correlation data
            // ties the `delivered` without it that follows in the same request.
            var recorded: [String: ProviderRefs.Target] = [:]
            for p in callbacks {
                let s = p.status
                if let position = try LedgerStore.position(ofID: s.eventID, layout, txn) {
                    plans.append(.known(.duplicate(position: position, id: s.eventID)))
                    redeliveries.append(.success([.duplicate(position: position, id: s.eventID)]))
                    continue
                }
                if let problem = s.problem {
                    plans.append(.park(problem))
                    continue
                }
                let target: ProviderRefs.Target
                if let c = s.correlation {
                    target = .init(campaign: c.campaign, contact: c.contact, attempt: c.attempt ?? 0)
                } else if let ref = s.recordableRef, let found = try recorded[ref] ?? refTarget(ref, txn) {
                    target = found
                } else {
                    plans.append(.park(
                        "no event records message id \(s.messageID ?? "") yet and the callback carries no correlation data; applied when one does"))
                    continue
                }
                do {
                    let event = try p.event(
                        campaign: target.campaign, contact: target.contact, attempt: target.attempt == 0 ? nil : target.attempt,
                        parkedAt: fromParked ? p.receivedAtMicros : nil)
                    if let ref = s.recordableRef, recorded[ref] == nil { recorded[ref] = target }
                    plans.append(.send(requests.count))
                    requests.append(AppendRequest(events: [event], anyContentIsDuplicate: true))
                } catch let e as InputError {
                    plans.append(.park("rejected: \(e.field): \(e.message)"))
                }
            }
        }
        return (plans, requests, redeliveries)
    }

    /// The contact the answering build's `providerRef` index names for a message id, or nil.
    func refTarget(_ ref: String, _ txn: borrowing Transaction) throws -> ProviderRefs.Target? {
        guard let active = try activeBuildNumber(txn), let storage = openedStorage(active) else { return nil }
        return try storage.refTarget(ref, txn)
    }

    /// Parks callbacks (a retry keeps the first one's receive time) and deletes the parked
    /// entries that were applied, in one write transaction.
    func keepParked(_ parks: [(ParkedCallback, String)], unparked: [[UInt8]]) throws {
        guard !parks.isEmpty || !unparked.isEmpty else { return }
        try environment.write { txn in
            if let db = layout.parked {
                for key in unparked { _ = try txn.delete(db, key) }
            }
            for (callback, reason) in parks { _ = try putParked(callback, because: reason, txn) }
        }
    }
}
