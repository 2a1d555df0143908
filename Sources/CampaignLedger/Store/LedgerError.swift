/// The error every `Ledger` operation throws, with the exit status the `ledger` command maps it
/// to (interchange.md §4) and a message that says what, where and what to do. A bad event is
/// `invalidInput` with the `InputError` that names its field; a bad line of an import is a
/// `LineError` in the `ImportSummary` instead.
public enum LedgerError: Error, Sendable, CustomStringConvertible {
    /// The store directory holds no ledger (exit 2).
    case storeNotFound(path: String)
    /// A campaign, contact or build that does not exist (exit 2).
    case notFound(String)
    /// A wrong use of a command or API (exit 64).
    case usage(String)
    /// Input that breaks the rules (exit 65): one line or event, with its index (1-based) in
    /// the file or request when known.
    case invalidInput(InputError, index: Int?)
    /// An expected stream version did not match (optimistic concurrency; exit 65).
    case versionConflict(stream: String, expected: UInt64, actual: UInt64)
    /// The store is busy (another rebuild), full, read-only for a write, or of a newer format
    /// (exit 69).
    case unavailable(String)
    /// The store is damaged: a record that does not decode, an index that points nowhere (exit 70).
    case corrupted(String)
    /// This store (a replica) and its shared log disagree at `position`: a hash, an event or a
    /// rule (exit 70). A follower stops there; nothing past it is applied (docs/scale-out.md).
    case diverged(position: UInt64, String)
    /// Anything else (exit 70).
    case `internal`(String)

    /// The `ledger` command's exit status for this error (sysexits: 2, 64, 65, 69, 70).
    public var exitCode: Int32 {
        switch self {
        case .storeNotFound, .notFound: 2
        case .usage: 64
        case .invalidInput, .versionConflict: 65
        case .unavailable: 69
        case .corrupted, .diverged, .internal: 70
        }
    }

    /// The message for people.
    public var description: String {
        switch self {
        case .storeNotFound(let path):
            "no ledger at \(path); create one with `ledger import FILE --store \(path)` or pass --store"
        case .notFound(let what): what
        case .usage(let what): what
        case .invalidInput(let e, let index):
            if let index { "event \(index): \(e)" } else { "\(e)" }
        case .versionConflict(let stream, let expected, let actual):
            "stream \(stream) is at version \(actual), not the expected \(expected); read it again and retry"
        case .unavailable(let what): what
        case .corrupted(let what): "the store is damaged: \(what); run `ledger verify` and restore from a backup"
        case .diverged(let position, let what):
            "the replica disagrees with the shared log at position \(position): \(what); nothing from there on was applied; compare with `ledger verify --log URL` and restore the log or this store"
        case .internal(let what): "internal error: \(what)"
        }
    }
}

/// The outcome of one appended event (DESIGN.md §2).
public enum AppendOutcome: Sendable, Hashable {
    /// Appended at this position.
    case appended(position: UInt64, id: String)
    /// A re-delivery of the event already at this position: skipped, recorded in the side record.
    case duplicate(position: UInt64, id: String)

    /// The position of the event (appended now, or the one repeated).
    public var position: UInt64 {
        switch self {
        case .appended(let p, _), .duplicate(let p, _): p
        }
    }

    /// The event's id (given, or the one the ledger gave it).
    public var id: String {
        switch self {
        case .appended(_, let id), .duplicate(_, let id): id
        }
    }
}

/// Optimistic concurrency: the append goes through only if the stream's version (the position
/// of its last event, 0 when it has none) is `version`.
public struct StreamExpectation: Sendable, Hashable {
    /// The campaign whose stream (or whose contact's stream) is expected.
    public var campaign: String
    /// nil: the campaign's stream; else this contact's stream.
    public var contact: String?
    /// The expected version: the position of the stream's last event, 0 for none.
    public var version: UInt64

    public init(campaign: String, contact: String? = nil, version: UInt64) {
        self.campaign = campaign
        self.contact = contact
        self.version = version
    }
}
