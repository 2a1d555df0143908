import Foundation
import LMDB

/// How `Ledger.importLines` (and `ledger import`) treats a file (interchange.md §2).
public struct ImportOptions: Sendable {
    /// Validate against the store and append nothing.
    public var dryRun = false
    /// Append the good lines and report the bad ones, instead of all or nothing.
    public var skipInvalid = false
    /// Rebuild an empty store from an export: keep each event's `position`, `recordedAt`,
    /// address salt and `hash`, checking the hash chain as it goes; refuse a gap or a mismatch.
    public var restore = false
    /// Events per transaction. The default, 10 000, holds the writer for a fraction of a second;
    /// larger batches (the CLI allows 100 000) dirty each B-tree page once per batch instead of
    /// once per 10 000 events, so they write far fewer bytes, while other writers wait longer.
    public var batchSize = 10_000
    /// false: every batch is judged again in its transaction even when the first pass's
    /// verdicts still hold (the tests compare both ways).
    var reusesVerdicts = true

    public init(dryRun: Bool = false, skipInvalid: Bool = false, restore: Bool = false) {
        self.dryRun = dryRun
        self.skipInvalid = skipInvalid
        self.restore = restore
    }
}

/// One rejected line of an import: where, which field, why, and the line exactly as given.
/// `ImportSummary.rejected` lists them; `stoppedAt` is one.
public struct LineError: Sendable, Hashable, Error {
    /// The line number (1-based).
    public var line: Int
    /// The JSON field at fault, or `line` for the line as a whole (as in `InputError`).
    public var field: String
    /// What is wrong and why.
    public var message: String
    /// The line's bytes exactly as given (not necessarily UTF-8).
    public var text: [UInt8]

    /// `field: message`.
    public var summary: String { InputError(field: field, message: message).description }
}

/// What an import did.
public struct ImportSummary: Sendable {
    /// Lines read (blank lines not counted).
    public var lines = 0
    /// Events appended (with `dryRun`: that would be appended).
    public var appended = 0
    /// Events already in the log with identical content, skipped.
    public var duplicates = 0
    /// Invalid lines. Without `skipInvalid`, any makes the import append nothing.
    public var rejected: [LineError] = []
    public var seconds = 0.0
    /// When appending stopped early because another writer made a line invalid meanwhile.
    public var stoppedAt: LineError?

    public var eventsPerSecond: Double { seconds > 0 ? Double(appended + duplicates) / seconds : 0 }
}

/// Progress of a long import, reported to the `progress` closure now and then.
public struct ImportProgress: Sendable {
    /// Validating every line first, then appending the valid ones.
    public enum Phase: String, Sendable { case validating, appending }
    public var phase: Phase
    /// Lines done of `total` in this phase.
    public var done: Int
    public var total: Int
}

extension Ledger {
    /// Imports JSON Lines `data` (interchange.md §2). First every line is validated against the
    /// store and the valid lines before it; with errors and without `skipInvalid`, nothing is
    /// appended and the summary lists them (a dry run stops here, its summary counting what
    /// would be appended and what repeats the log). Then the valid lines are appended in
    /// transactions of at most `batchSize` events; each transaction uses the first pass's
    /// verdicts when its head shows that nobody appended since, and judges its events again
    /// otherwise; if another writer made one invalid meanwhile, the import stops there
    /// (`stoppedAt`) keeping the batches already committed. Lines without `id` get a
    /// deterministic id derived from their content (docs/format.md), so a re-import appends
    /// nothing twice.
    @discardableResult
    public func importLines(
        _ data: [UInt8], options: ImportOptions = ImportOptions(),
        progress: ((ImportProgress) -> Void)? = nil
    ) throws -> ImportSummary {
        let started = DispatchTime.now().uptimeNanoseconds
        var summary = ImportSummary()
        let lines = splitLines(data)
        summary.lines = lines.count

        // Phase 1: parse and judge every line, against the store and the valid lines before it.
        // Its verdicts are kept: the appending pass uses them instead of judging again when the
        // head shows nobody appended since (validate once).
        var good: [(line: Int, event: Event, verdict: LineVerdict)] = []
        good.reserveCapacity(lines.count)
        var restored: [Restored] = []
        var occurrences: [String: Int] = [:]
        let head = try store.head().position
        if options.restore && head != 0 {
            throw LedgerError.usage("--restore needs an empty store; \(path) holds \(head) events")
        }
        var validator = Validator(layout: store.layout, head: head)
        // The events the validator admitted are the good lines' (one place in memory, not two):
        // the line of each appended position, in position order.
        var appendedLines: [Int32] = []
        validator.admittedEvent = { offset in
            let g = good[Int(appendedLines[offset])]
            return g.verdict.resolved(g.event)
        }
        validator.reserveCapacity(lines.count)
        validator.keepsBatchChanges = true
        let batchSize = max(1, options.batchSize)
        // Per batch of the appending pass: the position its first event was given and the
        // registry entries it leaves.
        var batches: [(firstPosition: UInt64, changes: RegistryChanges)] = []
        var batchFirst = validator.nextPosition
        var index = 0
        while index < lines.count {
            let end = min(index + 10_000, lines.count)
            let parsedChunk = Self.parse(lines[index..<end], of: data)
            try store.environment.read { txn in
                for i in index..<end {
                    let range = lines[i]
                    let number = i + 1
                    do {
                        guard let parsed = try parsedChunk[i - index].get() else { continue }
                        var event = parsed.event
                        if options.restore { restored.append(try Self.restoredFields(parsed, expected: UInt64(good.count) + 1)) }
                        if event.id == nil {
                            let base = DuplicateKey.derivedID(for: event, occurrence: 0)
                            let seen = occurrences[base, default: 0]
                            occurrences[base] = seen + 1
                            event.id = seen == 0 ? base : DuplicateKey.derivedID(for: event, occurrence: seen)
                        }
                        validator.beginRequest()
                        let verdict: Admission
                        do {
                            verdict = try validator.admit(event, txn)
                            validator.acceptRequest()
                        } catch {
                            validator.rejectRequest()
                            throw error
                        }
                        if case .append = verdict { appendedLines.append(Int32(good.count)) }
                        good.append((number, event, LineVerdict(verdict)))
                        if good.count % batchSize == 0 {
                            batches.append((batchFirst, validator.takeBatchChanges()))
                            batchFirst = validator.nextPosition
                        }
                    } catch let e as InputError {
                        if options.restore && restored.count > good.count { restored.removeLast() }
                        summary.rejected.append(
                            LineError(line: number, field: e.field, message: e.message, text: Array(data[range])))
                    }
                }
            }
            index = end
            progress?(ImportProgress(phase: .validating, done: index, total: lines.count))
        }
        if good.count % batchSize != 0 { batches.append((batchFirst, validator.takeBatchChanges())) }
        let wouldAppend = summary.rejected.isEmpty || options.skipInvalid
        if options.dryRun && wouldAppend {
            for g in good {
                if case .append = g.verdict { summary.appended += 1 } else { summary.duplicates += 1 }
            }
        }
        if options.dryRun || !wouldAppend {
            summary.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            return summary
        }

        // Phase 2: append in batches. Each transaction takes phase 1's verdicts when its head is
        // the one they were reached at, and judges the batch again otherwise (another writer
        // appended meanwhile); after a batch whose outcomes differ from the verdicts, every
        // later batch is judged again.
        var offset = 0
        var verdictsHold = replica == nil && options.reusesVerdicts
        while offset < good.count {
            let batch = good[offset..<min(offset + batchSize, good.count)]
            var request = AppendRequest(events: batch.map(\.event))
            if options.restore { request.restored = Array(restored[batch.startIndex..<batch.endIndex]) }
            let verdicts = verdictsHold ? batch.map { $0.verdict.admission(of: $0.event) } : []
            if verdictsHold {
                let b = batches[offset / batchSize]
                request.judged = JudgedBatch(firstPosition: b.firstPosition, admissions: verdicts, changes: b.changes)
            }
            let result: Result<[AppendOutcome], LedgerError>
            do {
                result = try appendBatch([request])[0]
            } catch let e as LedgerError where e.exitCode == 65 {
                // A line found bad inside the transaction (a restore's hash) stops the import
                // there. A storage error (a full disk: exit 69) is thrown as it is; either way the
                // batches before are committed, and re-running the import continues after them.
                result = .failure(e)
            }
            switch result {
            case .success(let outcomes):
                for o in outcomes {
                    if case .appended = o { summary.appended += 1 } else { summary.duplicates += 1 }
                }
                if verdictsHold && !Self.outcomes(outcomes, match: verdicts) { verdictsHold = false }
            case .failure(let error):
                var stop = LineError(line: batch.first!.line, field: "line", message: error.description, text: [])
                if case .invalidInput(let e, let i?) = error {
                    let line = batch[batch.startIndex + i - 1].line
                    stop = LineError(line: line, field: e.field, message: e.message, text: Array(data[lines[line - 1]]))
                }
                summary.stoppedAt = stop
                summary.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                return summary
            }
            offset += batch.count
            progress?(ImportProgress(phase: .appending, done: offset, total: good.count))
        }
        summary.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return summary
    }
}

/// The first pass's verdict on one line, kept small (a file may hold tens of millions of lines,
/// each kept until the appending pass): appended at `position` with the attempt the judging
/// resolved, or a repeat of the event at `position`.
enum LineVerdict: Sendable {
    case append(position: UInt64, attempt: Int?)
    case duplicate(position: UInt64)

    init(_ admission: Admission) {
        switch admission {
        case .append(let event, let position): self = .append(position: position, attempt: event.attempt)
        case .duplicate(let position): self = .duplicate(position: position)
        }
    }

    /// The admission of `event` (the line as given) this verdict stands for.
    func admission(of event: Event) -> Admission {
        switch self {
        case .append(let position, _): .append(resolved(event), position: position)
        case .duplicate(let position): .duplicate(position: position)
        }
    }

    /// `event` (the line as given) with the attempt the judging resolved for it.
    func resolved(_ event: Event) -> Event {
        guard case .append(_, let attempt) = self else { return event }
        var resolved = event
        resolved.attempt = attempt
        return resolved
    }
}

extension Ledger {
    /// Whether a batch's outcomes are what its verdicts said: the same events appended at the
    /// same positions, the same duplicates of the same positions.
    static func outcomes(_ outcomes: [AppendOutcome], match verdicts: [Admission]) -> Bool {
        guard outcomes.count == verdicts.count else { return false }
        for (o, v) in zip(outcomes, verdicts) {
            switch (o, v) {
            case (.appended(let p, _), .append(_, let q)) where p == q: continue
            case (.duplicate(let p, _), .duplicate(let q)) where p == q: continue
            default: return false
            }
        }
        return true
    }

    /// The fields a restore keeps, from an export line; every one must be there.
    static func restoredFields(_ parsed: ParsedLine, expected: UInt64) throws -> Restored {
        let r = parsed.readOnly
        guard let position = r.position else {
            throw InputError(field: "position", message: "missing: --restore needs an export (with position, recordedAt, hash)")
        }
        guard let recordedAt = r.recordedAt, let nanos = try? RFC3339.parseNanos(recordedAt) else {
            throw InputError(field: "recordedAt", message: "missing: --restore needs an export (with position, recordedAt, hash)")
        }
        guard let hashText = r.hash, let hash = Hex.decode(hashText), hash.count == 32 else {
            throw InputError(field: "hash", message: "missing or not 64 hex digits: --restore needs an export")
        }
        if position != expected {
            throw InputError(field: "position", message: "is \(position), expected \(expected): an export has no gap")
        }
        var salt: [UInt8]?
        if parsed.event.type == .contactAdded, parsed.event.erasedAddress == nil {
            guard let text = r.addressSalt, let bytes = Hex.decode(text), bytes.count == 16 else {
                throw InputError(field: "addressSalt", message: "missing or not 32 hex digits: --restore needs the salt to check the hash")
            }
            salt = bytes
        }
        return Restored(position: position, recordedAtMicros: nanos / 1000, addressSalt: salt, hash: hash)
    }

    /// Parses `lines` of `data` (their byte ranges) on every core: a line's parse depends on
    /// nothing but its bytes, and it is the larger part of judging a line; the judging, in file
    /// order, follows. (Also the C library's batches: CampaignLedgerC.)
    package static func parse(_ lines: ArraySlice<Range<Int>>, of data: [UInt8]) -> [Result<ParsedLine?, InputError>] {
        var parsed = [Result<ParsedLine?, InputError>](repeating: .success(nil), count: lines.count)
        let slices = min(lines.count, 4 * ProcessInfo.processInfo.activeProcessorCount)
        parsed.withUnsafeMutableBufferPointer { out in
            data.withUnsafeBytes { raw in
                let (out, raw, first) = (UnsafeSendable(out), UnsafeSendable(raw), lines.startIndex)
                DispatchQueue.concurrentPerform(iterations: slices) { slice in
                    let from = slice * lines.count / slices
                    let to = (slice + 1) * lines.count / slices
                    for k in from..<to {
                        let range = lines[first + k]
                        out.value[k] = Result { () throws(InputError) -> ParsedLine? in
                            try EventLineParser.parse(UnsafeRawBufferPointer(rebasing: raw.value[range]))
                        }
                    }
                }
            }
        }
        return parsed
    }
}

/// The whole contents of the file at `path` for an import; nil when it cannot be read. A pipe
/// given as a path (`/dev/stdin`, a shell's `<(zcat history.jsonl.gz)`) is read to its end:
/// FileManager reads regular files only.
package func importFileBytes(_ path: String) -> [UInt8]? {
    (FileManager.default.contents(atPath: path) ?? FileHandle(forReadingAtPath: path)?.readDataToEndOfFile()).map { Array($0) }
}

/// The byte ranges of the lines of `data` (split at LF; a final LF does not start a line).
package func splitLines(_ data: [UInt8]) -> [Range<Int>] {
    var out: [Range<Int>] = []
    data.withUnsafeBufferPointer { buffer in
        var start = 0
        while start < buffer.count {
            var end = start
            while end < buffer.count && buffer[end] != 0x0A { end += 1 }
            out.append(start..<end)
            start = end + 1
        }
    }
    return out
}

/// A value handed to the threads of `DispatchQueue.concurrentPerform`, which each touch only
/// their own part of it while the caller waits.
private struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
