import LMDB
import Logging

extension Ledger {
    /// Gives every registered custom projection a build with its current rules: a new one is
    /// folded from position 1 (resuming an interrupted one) and becomes the answering build when
    /// the active one has other rules. Runs on open.
    func startCustomProjections() throws {
        guard !store.isReadOnly else { return }
        for projection in store.customProjections.values.sorted(by: { $0.name < $1.name }) {
            let infos: [BuildInfo] = try store.environment.read { txn in try store.buildInfos(txn) }
            let ready = infos.contains { (info: BuildInfo) -> Bool in
                info.projection == projection.name && info.rulesID == projection.rulesID && info.status == .ready
            }
            if ready { continue }
            let active = try store.environment.read { txn -> BuildInfo? in
                guard let n = try store.activeBuildNumber(txn, projection: projection.name) else { return nil }
                return try store.buildInfo(n, txn)
            }
            let replace = active == nil || active?.rulesID != projection.rulesID || active?.status == .dropped
            configuration.logger.info("building custom projection \(projection.name) (rules \(projection.rulesID))")
            _ = try rebuild(projection: projection.name, activate: replace)
        }
    }

    /// The value under `key` in a custom projection's answering build, or nil.
    public func projectionValue(_ projection: String, key: [UInt8]) throws -> [UInt8]? {
        guard let n = try store.answeringBuildNumber(projection: projection), let db = store.customDatabase(n) else {
            throw LedgerError.notFound("no build of projection \(quoted(projection)); register it in Ledger.Configuration.projections")
        }
        return try store.environment.read { txn in try txn.get(db, key) }
    }

    /// The value under a string key (see `projectionValue(_:key:)`).
    public func projectionValue(_ projection: String, key: String) throws -> [UInt8]? {
        try projectionValue(projection, key: Array(key.utf8))
    }

    /// The counter `ProjectionState.add(_:to:)` keeps under `key` in a custom projection's
    /// answering build (a big-endian Int64), or nil when there is none.
    public func projectionCounter(_ projection: String, key: String) throws -> Int64? {
        try projectionValue(projection, key: key).flatMap { Int64(bigEndianBytes: $0) }
    }

    /// Every entry of a custom projection's answering build whose key starts with `prefix`.
    public func projectionEntries(_ projection: String, prefix: [UInt8] = []) throws -> [(key: [UInt8], value: [UInt8])] {
        guard let n = try store.answeringBuildNumber(projection: projection), let db = store.customDatabase(n) else {
            throw LedgerError.notFound("no build of projection \(quoted(projection)); register it in Ledger.Configuration.projections")
        }
        return try store.environment.read { txn in
            var out: [(key: [UInt8], value: [UInt8])] = []
            try txn.forEach(db, prefix: prefix) { k, v in
                out.append((Array(k), Array(v)))
                return true
            }
            return out
        }
    }
}
