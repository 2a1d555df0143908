import Foundation
import LMDB

/// The format of `Ledger.export` (and `ledger export`).
public enum ExportFormat: String, Sendable, CaseIterable {
    /// JSON Lines: one export line per event (interchange.md §1), the format `importLines`
    /// restores from.
    case jsonl
    /// CSV with a header row, for spreadsheets (interchange.md §1).
    case csv
}

extension Ledger {
    /// Writes events in position order as export lines (interchange.md §1): all of them, those
    /// after `after`, or one campaign's. With `evidence` (one campaign), every other position
    /// from the campaign's first event to the head is written as `{"position": n, "digest": "…"}`,
    /// after a first line `{"position": f−1, "hash": "…"}` with the chain hash before the
    /// campaign's first event f, so its events can be checked against a published checkpoint
    /// without other campaigns' data (docs/audit.md, tools/check_evidence.py). Reads in chunks
    /// of short transactions. Returns the lines written.
    @discardableResult
    public func export(
        campaign: String? = nil, after: UInt64 = 0, evidence: Bool = false, format: ExportFormat = .jsonl,
        write: (String) throws -> Void
    ) throws -> Int {
        if format == .csv { try write(ExportLine.csvHeader + "\r\n") }
        var written = 0
        func emit(_ r: RecordedEvent) throws {
            try write(format == .csv ? ExportLine.csvRow(r) + "\r\n" : ExportLine.exportJSON(r) + "\n")
            written += 1
        }
        guard let campaign else {
            var next = after + 1
            while true {
                let chunk = try events(from: next, limit: 10_000)
                for r in chunk { try emit(r) }
                guard let last = chunk.last, chunk.count == 10_000 else { break }
                next = last.position + 1
            }
            return written
        }
        let positions = try store.environment.read { txn in
            try store.streamPositions(campaign: campaign, contact: nil, txn)
        }
        guard !positions.isEmpty else {
            throw LedgerError.notFound("no campaign \(quoted(campaign)); `ledger campaign list` shows the campaigns")
        }
        let mine = Set(positions)
        let headPosition = evidence ? try head().position : positions.last!
        var next = evidence ? positions[0] : max(after + 1, 1)
        if !evidence {
            // Only the campaign's events: read them by position.
            for chunkStart in stride(from: 0, to: positions.count, by: 10_000) {
                let slice = positions[chunkStart..<min(chunkStart + 10_000, positions.count)].filter { $0 > after }
                let records = try store.environment.read { txn in try slice.compactMap { try store.record(at: $0, txn) } }
                for r in records { try emit(r) }
            }
            return written
        }
        // The chain value just before the campaign's first event (32 zero bytes at position 0):
        // a checker starts the chain from it, so the first event's content is checked too.
        let before = positions[0] - 1
        let previous = before == 0 ? ExportLine.genesis : try event(at: before)?.hash ?? ExportLine.genesis
        try write("{\"position\":\(before),\"hash\":\"\(hex(previous))\"}\n")
        written += 1
        while next <= headPosition {
            let chunk = try events(from: next, limit: 10_000)
            for r in chunk where r.position <= headPosition {
                if mine.contains(r.position) {
                    if r.position > after { try emit(r) }
                } else if format == .jsonl {
                    try write("{\"position\":\(r.position),\"digest\":\"\(hex(ExportLine.digest(r)))\"}\n")
                    written += 1
                }
            }
            guard let last = chunk.last, chunk.count == 10_000 else { break }
            next = last.position + 1
        }
        return written
    }

    /// Statistics of the store (`ledger stats --json`): head, sizes, readers, builds and the
    /// entries and bytes of each database.
    public func statistics() throws -> JSONOutput {
        let info = store.environment.info()
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: path + "/data.mdb")[.size] as? Int) ?? 0
        let answering = try store.answeringBuild()
        return try store.environment.read { txn in
            let head = try store.head(txn)
            var databases: [(String, JSONOutput)] = []
            for (name, db) in zip(StoreLayout.names, [store.layout.meta, store.layout.events, store.layout.ids,
                                                     store.layout.campaignStreams, store.layout.contactStreams,
                                                     store.layout.redeliveries, store.layout.registry, store.layout.builds]) {
                let s = try txn.statistics(db)
                databases.append((name, .object([("entries", .int(Int64(s.entries))), ("bytes", .int(Int64(s.bytes)))])))
            }
            let b = answering
            for (name, db) in zip(BuildStorage.names(b.number), b.all) {
                let s = try txn.statistics(db)
                databases.append((name, .object([("entries", .int(Int64(s.entries))), ("bytes", .int(Int64(s.bytes)))])))
            }
            var builds: [JSONOutput] = []
            try txn.forEach(store.layout.builds) { key, value in
                guard let number = UInt32(bigEndianBytes: key), let info = BuildInfo(number: number, value) else { return true }
                builds.append(.object([
                    ("build", .int(Int64(number))), ("version", .int(Int64(info.version))),
                    ("rulesId", .string(info.rulesID)), ("checkpoint", .int(Int64(info.checkpoint))),
                    ("active", .bool(number == b.number)),
                ]))
                return true
            }
            let redeliveries = try txn.statistics(store.layout.redeliveries).entries
            return .object([
                ("store", .string(path)),
                ("format", .int(Int64(StoreLayout.formatVersion))),
                ("readOnly", .bool(store.isReadOnly)),
                ("events", .int(Int64(head.position))),
                ("head", .object([("position", .int(Int64(head.position))), ("hash", .string(hex(head.hash)))])),
                ("redeliveries", .int(Int64(redeliveries))),
                ("fileBytes", .int(Int64(fileSize))),
                ("usedBytes", .int(Int64(info.usedBytes))),
                ("mapBytes", .int(Int64(info.mapSize))),
                ("readers", .int(Int64(info.readers))),
                ("maxReaders", .int(Int64(info.maxReaders))),
                ("builds", .array(builds)),
                ("databases", .object(databases)),
            ])
        }
    }

    /// A consistent, compacted hot copy of the store into `destination` (absent or an empty
    /// directory). Appends go on meanwhile.
    public func backup(to destination: String) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: destination, isDirectory: &isDirectory) {
            guard isDirectory.boolValue, (try fm.contentsOfDirectory(atPath: destination)).isEmpty else {
                throw LedgerError.usage("backup destination \(destination) exists and is not an empty directory; choose a new path")
            }
        } else {
            try fm.createDirectory(atPath: destination, withIntermediateDirectories: true)
        }
        do {
            try store.environment.lmdb.copy(to: destination, compact: true)
        } catch {
            throw LedgerStore.translate(error, path: destination)
        }
    }
}
