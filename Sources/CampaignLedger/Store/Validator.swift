import LMDB

/// What happens to one event offered to the log.
enum Admission: Sendable {
    /// It is valid: append it as given here (id and attempt resolved) at `position`.
    case append(Event, position: UInt64)
    /// It repeats the event already at `position` (same id, same content): skip it.
    case duplicate(position: UInt64)
}

/// Judges events against the ledger's state and the valid events before them (domain.md §5),
/// and resolves their id-independent defaults (the attempt, domain.md §3).
///
/// State comes from three layers: the *request* layer (the events of the request being judged),
/// the *batch* layer (requests already accepted in this transaction or dry run) and the store
/// underneath. A rejected request is forgotten by dropping its layer, so nothing of it counts.
struct Validator {
    private struct Layer {
        var campaigns: [String: CampaignRegistryEntry] = [:]
        var contacts: [ContactIdentity: ContactRegistryEntry] = [:]
        var ids: [String: (position: UInt64, event: Event)] = [:]
    }

    private let layout: StoreLayout
    private var batch = Layer()
    private var request = Layer()
    /// The position the next accepted event gets.
    private(set) var nextPosition: UInt64

    init(layout: StoreLayout, head: UInt64) {
        self.layout = layout
        self.nextPosition = head + 1
    }

    /// Starts judging a new request (one atomic unit: a batch of an import, an append call).
    mutating func beginRequest() {
        request = Layer()
        requestStart = nextPosition
    }

    private var requestStart: UInt64 = 1

    /// Keeps what the current request changed.
    mutating func acceptRequest() {
        batch.campaigns.merge(request.campaigns) { $1 }
        batch.contacts.merge(request.contacts) { $1 }
        batch.ids.merge(request.ids) { $1 }
        request = Layer()
    }

    /// Forgets what the current request changed, and the positions it would have used.
    mutating func rejectRequest() {
        request = Layer()
        nextPosition = requestStart
    }

    /// Everything changed by accepted requests, for writing the registry at the end of a batch.
    var changedCampaigns: [String: CampaignRegistryEntry] { batch.campaigns }
    var changedContacts: [ContactIdentity: ContactRegistryEntry] { batch.contacts }

    // MARK: Lookups through the layers

    private func campaign(_ id: String, _ txn: borrowing Transaction) throws -> CampaignRegistryEntry? {
        if let c = request.campaigns[id] ?? batch.campaigns[id] { return c }
        return try StoreLayout.registryCampaignKey(id).withUnsafeBytes { key in
            try txn.get(layout.registry, key).flatMap(CampaignRegistryEntry.init)
        }
    }

    private func contact(_ id: ContactIdentity, _ txn: borrowing Transaction) throws -> ContactRegistryEntry? {
        if let c = request.contacts[id] ?? batch.contacts[id] { return c }
        return try StoreLayout.registryContactKey(id.campaign, id.contact).withUnsafeBytes { key in
            try txn.get(layout.registry, key).flatMap(ContactRegistryEntry.init)
        }
    }

    private func existing(id: String, _ txn: borrowing Transaction) throws -> (position: UInt64, event: Event)? {
        if let hit = request.ids[id] ?? batch.ids[id] { return hit }
        guard let raw = try txn.get(layout.eventIDs, Array(id.utf8)),
            let position = UInt64(bigEndianBytes: raw)
        else { return nil }
        let record = try position.bigEndianBytes.withUnsafeBytes { key in
            guard let bytes = try txn.get(layout.events, key) else {
                throw LedgerError.corrupted("event id \(id) points at position \(position), which has no event")
            }
            return try EventRecord.decode(bytes)
        }
        return (position, record.event)
    }

    // MARK: Judging

    /// Judges `event` (with its `id` already set) against everything before it. Throws
    /// `InputError` for an invalid event; the caller rejects the whole request then.
    mutating func admit(_ event: Event, _ txn: borrowing Transaction) throws -> Admission {
        guard let id = event.id else { preconditionFailure("events are given ids before validation") }
        // Duplicates come first: a re-delivered campaign.started is a duplicate, not "started twice".
        if let first = try existing(id: id, txn) {
            guard DuplicateKey.sameContent(event, as: first.event) else {
                throw InputError(
                    field: "id",
                    message: "id reused for a different event (the event at position \(first.position) has this id)")
            }
            return .duplicate(position: first.position)
        }
        var event = event
        try checkRules(&event, txn)
        let position = nextPosition
        request.ids[id] = (position, event)
        nextPosition += 1
        return .append(event, position: position)
    }

    /// domain.md §5: references and lifecycle; resolves `attempt` (domain.md §3).
    private mutating func checkRules(_ event: inout Event, _ txn: borrowing Transaction) throws {
        let cid = event.campaign
        if event.type == .campaignCreated {
            if try campaign(cid, txn) != nil {
                throw InputError(field: "campaign", message: "campaign \(quoted(cid)) already exists")
            }
            guard let channel = event.channel else { throw InputError(field: "channel", message: "missing") }
            request.campaigns[cid] = CampaignRegistryEntry(channel: channel, phase: .notStarted)
            return
        }
        guard var c = try campaign(cid, txn) else {
            throw InputError(field: "campaign", message: "unknown campaign \(quoted(cid)); create it first")
        }
        if let allowed = Self.allowedPhases[event.type], !allowed.contains(c.phase) {
            throw InputError(
                field: "type",
                message: "\(event.type.rawValue) is not allowed while the campaign is \(c.phase.words)")
        }
        if let next = Self.phaseAfter[event.type] {
            c.phase = next
            request.campaigns[cid] = c
            return
        }
        guard let contactID = event.contact else { throw InputError(field: "contact", message: "missing") }
        let key = ContactIdentity(campaign: cid, contact: contactID)
        let known = try contact(key, txn)
        switch event.type {
        case .contactAdded:
            if known != nil { throw InputError(field: "contact", message: "contact already in the campaign") }
            request.contacts[key] = ContactRegistryEntry(removed: false, highestAttempt: 0)
        case .contactRemoved:
            guard var k = known else { throw InputError(field: "contact", message: "unknown contact; add it first") }
            if k.removed { throw InputError(field: "contact", message: "contact already removed") }
            k.removed = true
            request.contacts[key] = k
        case .contactStatus:
            guard var k = known else { throw InputError(field: "contact", message: "unknown contact; add it first") }
            guard let status = event.status else { throw InputError(field: "status", message: "missing") }
            guard c.channel.family.acceptsReport(status) else {
                throw InputError(
                    field: "status", message: "\(status.rawValue) is not a state of \(c.channel.rawValue) campaigns")
            }
            if event.attempt == nil {
                let hi = Int(k.highestAttempt)
                event.attempt = status == .retryScheduled ? hi + 1 : max(hi, 1)
            }
            k.highestAttempt = max(k.highestAttempt, UInt32(event.attempt!))
            request.contacts[key] = k
        default:
            preconditionFailure("campaign events are handled above")
        }
    }

    /// The phases in which an event is allowed (domain.md §5); contact.status: any phase.
    private static let allowedPhases: [EventType: Set<CampaignRegistryEntry.Phase>] = [
        .campaignStarted: [.notStarted],
        .campaignPaused: [.sending],
        .campaignResumed: [.paused],
        .campaignFinished: [.sending, .paused],
        .campaignCanceled: [.notStarted, .sending, .paused],
        .contactAdded: [.notStarted, .sending, .paused],
        .contactRemoved: [.notStarted, .paused],
    ]

    private static let phaseAfter: [EventType: CampaignRegistryEntry.Phase] = [
        .campaignStarted: .sending, .campaignPaused: .paused, .campaignResumed: .sending,
        .campaignFinished: .ended, .campaignCanceled: .ended,
    ]
}

/// A contact's identity: the pair (campaign, contact).
public struct ContactIdentity: Hashable, Sendable {
    public var campaign: String
    public var contact: String
    public init(campaign: String, contact: String) {
        self.campaign = campaign
        self.contact = contact
    }
}

extension CampaignRegistryEntry.Phase {
    var words: String {
        switch self {
        case .notStarted: "not started"
        case .sending: "sending"
        case .paused: "paused"
        case .ended: "ended"
        }
    }
}

func quoted(_ s: String) -> String { "'\(s)'" }
