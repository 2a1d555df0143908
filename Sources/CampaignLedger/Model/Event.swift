/// One event as given (or as stored, once its `id` and `attempt` are resolved): the fields of
/// interchange.md §1. Only the fields that its type uses are kept; `nil` means absent.
///
/// Make one with `init(_:campaign:at:…)` (fields by name, `at` checked) or `init(json:)` (an
/// interchange line) and give it to `Ledger.append`.
public struct Event: Sendable, Hashable {
    public var type: EventType
    /// The campaign's id: every event belongs to one.
    public var campaign: String
    /// When it happened at the source, exactly as given (RFC 3339 text).
    public var at: String
    /// `at` as an instant: nanoseconds since 1970-01-01T00:00:00Z (fraction digits past the 9th
    /// are dropped). Derived from `at`; kept for ordering, timings and time filters.
    public var atNanos: Int64
    /// The event's id: re-sending an event with the same id and content is a duplicate, not a
    /// second event. Given by the source, or by the ledger when absent.
    public var id: String?
    /// The contact's id within the campaign (`contact.*` events).
    public var contact: String?
    /// The campaign's channel (`campaign.created`).
    public var channel: Channel?
    /// The campaign's name (`campaign.created`).
    public var name: String?
    /// The contact's phone number or address (`contact.added`).
    public var address: String?
    /// The status as reported (`successfully_submitted` stays as given).
    public var status: ContactState?
    /// The dispatch attempt a status reports (`contact.status`); resolved by the ledger when
    /// absent (domain.md §3).
    public var attempt: Int?
    /// The provider's error code (any type; a `contact.status`'s explains a failure).
    public var code: String?
    /// Why, in words for people (any type).
    public var reason: String?
    /// The provider's message or call id, e.g. a `wamid.…` (any type).
    public var providerRef: String?
    /// Who did it (a user or system), when the source says.
    public var actor: String?
    /// A JSON object's text, compact (no insignificant whitespace), otherwise as received.
    public var meta: String?
    /// For a `contact.added` whose address was erased (`contact.forgotten`, docs/erasure.md):
    /// what is left of it. `address` is nil then.
    public package(set) var erasedAddress: ErasedAddress?

    /// Every field given as is, `atNanos` unchecked against `at`: for the library's own decoders
    /// and generators (an embedder uses `init(_:campaign:at:…)` or `init(json:)`).
    package init(
        type: EventType, campaign: String, at: String, atNanos: Int64, id: String? = nil,
        contact: String? = nil, channel: Channel? = nil, name: String? = nil,
        address: String? = nil, status: ContactState? = nil, attempt: Int? = nil,
        code: String? = nil, reason: String? = nil, providerRef: String? = nil,
        actor: String? = nil, meta: String? = nil
    ) {
        self.type = type
        self.campaign = campaign
        self.at = at
        self.atNanos = atNanos
        self.id = id
        self.contact = contact
        self.channel = channel
        self.name = name
        self.address = address
        self.status = status
        self.attempt = attempt
        self.code = code
        self.reason = reason
        self.providerRef = providerRef
        self.actor = actor
        self.meta = meta
    }
}

/// An event as the log holds it: the resolved event and what the ledger assigned when it
/// appended it (interchange.md §1, DESIGN.md §3).
public struct RecordedEvent: Sendable, Hashable {
    /// Global, 1-based, gap-free.
    public var position: UInt64
    /// Commit time, microseconds since 1970 UTC; never earlier than the previous position's.
    public var recordedAtMicros: Int64
    /// The event with `id` and (for `contact.status`) `attempt` filled in.
    public var event: Event
    /// For `contact.added`: 16 random bytes; the chain hashes SHA-256(salt ‖ address) instead of
    /// the address, so an erased address leaves the chain verifiable.
    public var addressSalt: [UInt8]?
    /// hash(n) = SHA-256(hash(n−1) ‖ SHA-256(canonical bytes of event n)).
    public var hash: [UInt8]

    package init(
        position: UInt64, recordedAtMicros: Int64, event: Event, addressSalt: [UInt8]?,
        hash: [UInt8]
    ) {
        self.position = position
        self.recordedAtMicros = recordedAtMicros
        self.event = event
        self.addressSalt = addressSalt
        self.hash = hash
    }
}

/// What a `contact.added` keeps of an erased address (docs/erasure.md): the digest the hash chain
/// covers, SHA-256(salt ‖ address), and whether the address was dialable — the state of the
/// contact depends on it (domain.md §5) — without the address or its salt.
public struct ErasedAddress: Sendable, Hashable {
    /// SHA-256(salt ‖ address): 32 bytes. The salt is gone, so it cannot be recomputed.
    public var digest: [UInt8]
    /// Why the address was not dialable (the contact's `invalid_record` reason), or nil when it was.
    public var problem: String?

    package init(digest: [UInt8], problem: String?) {
        precondition(digest.count == 32, "an address digest has 32 bytes")
        self.digest = digest
        self.problem = problem
    }

    /// The erasure of `address`, kept with `salt`.
    package init(address: String, salt: [UInt8]) {
        self.init(
            digest: SHA256Digest.withDigest(of: salt, Array(address.utf8)) { Array($0) },
            problem: AddressRule.problem(address))
    }
}
