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
/// State comes from what this transaction (or dry run) changed, kept in memory, over the store
/// underneath. Requests are atomic units (a batch of an import, an append call): while one is
/// judged, every change it makes is noted with the value it replaced, so a rejected request is
/// forgotten by putting those values back, and nothing of it counts.
struct Validator {
    private let layout: StoreLayout
    /// Registry entries changed by the accepted requests and the current one.
    private var campaigns: [String: CampaignRegistryEntry] = [:]
    private var contacts: [ContactIdentity: ContactRegistryEntry] = [:]
    /// The position of each id admitted for appending here (not yet in the store's `ids`).
    private var ids: [String: UInt64] = [:]
    /// The events admitted for appending, in position order from `firstPosition`: what a
    /// re-delivery of one of them is compared with. Empty when `admittedEvent` is given.
    private var admitted: [Event] = []
    /// Given by a caller that keeps every event it had admitted itself (an import, which holds
    /// its whole file until it appends): the event admitted at `offset` (its position minus the
    /// first position here), with its attempt as resolved here. The validator then keeps only
    /// their ids, so a large file is not held twice.
    var admittedEvent: ((Int) -> Event)?
    /// With `admittedEvent`: the ids admitted by the current request, forgotten if it is rejected.
    private var requestIDs: [String] = []
    private let firstPosition: UInt64
    /// The current request's changes, each with the value it replaced (nil: none), in order.
    private var campaignUndo: [(id: String, previous: CampaignRegistryEntry?)] = []
    private var contactUndo: [(id: ContactIdentity, previous: ContactRegistryEntry?)] = []
    /// The position the next accepted event gets.
    private(set) var nextPosition: UInt64
    private var requestStart: UInt64
    /// With `keepsBatchChanges`: the registry keys accepted requests changed since the last
    /// `takeBatchChanges()` (repeats included; an import's first pass, per batch of its second).
    private var batchCampaigns: [String] = []
    private var batchContacts: [ContactIdentity] = []
    var keepsBatchChanges = false
    /// Set by `adopt`: the events of this transaction were judged before, so this validator
    /// knows only their registry changes and cannot judge more events.
    private var adoptedVerdicts = false

    init(layout: StoreLayout, head: UInt64) {
        self.layout = layout
        self.firstPosition = head + 1
        self.nextPosition = head + 1
        self.requestStart = head + 1
    }

    /// Makes room for `events` more admitted events, so the id index is not rehashed as it grows.
    mutating func reserveCapacity(_ events: Int) {
        ids.reserveCapacity(ids.count + events)
        if admittedEvent == nil { admitted.reserveCapacity(admitted.count + events) }
    }

    /// Starts judging a new request (one atomic unit: a batch of an import, an append call).
    mutating func beginRequest() {
        forgetUndo()
        requestStart = nextPosition
    }

    /// Keeps what the current request changed.
    mutating func acceptRequest() {
        if keepsBatchChanges {
            for change in campaignUndo { batchCampaigns.append(change.id) }
            for change in contactUndo { batchContacts.append(change.id) }
        }
        forgetUndo()
    }

    /// The registry entries, as they are now, of every campaign and contact that accepted
    /// requests changed since the last call (with `keepsBatchChanges`): what a transaction
    /// appending those requests' events writes to the registry.
    mutating func takeBatchChanges() -> RegistryChanges {
        var out = RegistryChanges()
        for id in batchCampaigns { out.campaigns[id] = campaigns[id] }
        for id in batchContacts { out.contacts[id] = contacts[id] }
        batchCampaigns.removeAll(keepingCapacity: true)
        batchContacts.removeAll(keepingCapacity: true)
        return out
    }

    /// Takes the verdicts of a judging of the same events against the same state of the store
    /// (an import's first pass, when the head shows nobody appended since): `appended` events
    /// take the next positions and `changes` are what `finish` writes to the registry. Nothing
    /// is judged again; this validator cannot judge more events in this transaction.
    mutating func adopt(appended: Int, changes: RegistryChanges) {
        for (id, entry) in changes.campaigns { setCampaign(id, entry) }
        for (id, entry) in changes.contacts { setContact(id, entry) }
        nextPosition += UInt64(appended)
        adoptedVerdicts = true
    }

    /// Forgets what the current request changed, and the positions it would have used.
    mutating func rejectRequest() {
        for change in campaignUndo.reversed() { campaigns[change.id] = change.previous }
        for change in contactUndo.reversed() { contacts[change.id] = change.previous }
        let kept = Int(requestStart - firstPosition)
        if kept < admitted.count {  // adopted verdicts add no admitted events
            for event in admitted[kept...] { ids[event.id!] = nil }
            admitted.removeSubrange(kept...)
        }
        for id in requestIDs { ids[id] = nil }
        forgetUndo()
        nextPosition = requestStart
    }

    private mutating func forgetUndo() {
        if !campaignUndo.isEmpty { campaignUndo.removeAll(keepingCapacity: true) }
        if !contactUndo.isEmpty { contactUndo.removeAll(keepingCapacity: true) }
        if !requestIDs.isEmpty { requestIDs.removeAll(keepingCapacity: true) }
    }

    private mutating func setCampaign(_ id: String, _ entry: CampaignRegistryEntry) {
        campaignUndo.append((id, campaigns.updateValue(entry, forKey: id)))
    }

    private mutating func setContact(_ id: ContactIdentity, _ entry: ContactRegistryEntry) {
        contactUndo.append((id, contacts.updateValue(entry, forKey: id)))
    }

    /// Everything changed by accepted requests, for writing the registry at the end of a batch.
    var changedCampaigns: [String: CampaignRegistryEntry] { campaigns }
    var changedContacts: [ContactIdentity: ContactRegistryEntry] { contacts }

    // MARK: Lookups: this transaction's changes, then the store

    private func campaign(_ id: String, _ txn: borrowing Transaction) throws -> CampaignRegistryEntry? {
        if let c = campaigns[id] { return c }
        return try StoreLayout.registryCampaignKey(id).withUnsafeBytes { key in
            try txn.get(layout.registry, key).flatMap(CampaignRegistryEntry.init)
        }
    }

    private func contact(_ id: ContactIdentity, _ txn: borrowing Transaction) throws -> ContactRegistryEntry? {
        if let c = contacts[id] { return c }
        return try StoreLayout.registryContactKey(id.campaign, id.contact).withUnsafeBytes { key in
            try txn.get(layout.registry, key).flatMap(ContactRegistryEntry.init)
        }
    }

    private func existing(id: String, _ txn: borrowing Transaction) throws -> (position: UInt64, event: Event)? {
        if let position = ids[id] {
            let offset = Int(position - firstPosition)
            return (position, admittedEvent?(offset) ?? admitted[offset])
        }
        guard let position = try LedgerStore.position(ofID: id, layout, txn) else { return nil }
        let record = try position.bigEndianBytes.withUnsafeBytes { key in
            guard let bytes = try txn.get(layout.events, key) else {
                throw LedgerError.corrupted("event id \(id) points at position \(position), which has no event")
            }
            return try EventRecord.decode(bytes)
        }
        return (position, record.event)
    }

    /// The position of the event with `id`, appended before or in this transaction, or nil.
    func position(ofID id: String, _ txn: borrowing Transaction) throws -> UInt64? {
        if let position = ids[id] { return position }
        return try LedgerStore.position(ofID: id, layout, txn)
    }

    // MARK: Judging

    /// Judges `event` (with its `id` already set) against everything before it. Throws
    /// `InputError` for an invalid event; the caller rejects the whole request then.
    ///
    /// With `anyContentIsDuplicate` (provider callbacks, whose ids come from the provider's
    /// dedupe key) an event whose id is taken is a duplicate whatever its content: a retried
    /// webhook may differ in what is not part of that key (the time it was received).
    mutating func admit(
        _ event: Event, _ txn: borrowing Transaction, anyContentIsDuplicate: Bool = false
    ) throws -> Admission {
        guard let id = event.id else { preconditionFailure("events are given ids before validation") }
        precondition(!adoptedVerdicts, "a transaction that adopted verdicts judges no more events")
        // Duplicates come first: a re-delivered campaign.started is a duplicate, not "started twice".
        if let first = try existing(id: id, txn) {
            guard anyContentIsDuplicate || DuplicateKey.sameContent(event, as: first.event) else {
                throw InputError(
                    field: "id",
                    message: "id reused for a different event (the event at position \(first.position) has this id)")
            }
            return .duplicate(position: first.position)
        }
        var event = event
        try checkRules(&event, txn)
        let position = nextPosition
        ids[id] = position
        if admittedEvent == nil { admitted.append(event) } else { requestIDs.append(id) }
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
            setCampaign(cid, CampaignRegistryEntry(channel: channel, phase: .notStarted))
            return
        }
        guard var c = try campaign(cid, txn) else {
            throw InputError(field: "campaign", message: "unknown campaign \(quoted(cid)); create it first")
        }
        if let allowed = Self.allowedPhases(event.type), !allowed.contains(c.phase) {
            throw InputError(
                field: "type",
                message: "\(event.type.rawValue) is not allowed while the campaign is \(c.phase.words)")
        }
        if let next = Self.phaseAfter(event.type) {
            c.phase = next
            setCampaign(cid, c)
            return
        }
        guard let contactID = event.contact else { throw InputError(field: "contact", message: "missing") }
        let key = ContactIdentity(campaign: cid, contact: contactID)
        let known = try contact(key, txn)
        switch event.type {
        case .contactAdded:
            if known != nil { throw InputError(field: "contact", message: "contact already in the campaign") }
            setContact(key, ContactRegistryEntry(removed: false, highestAttempt: 0))
        case .contactRemoved:
            guard var k = known else { throw InputError(field: "contact", message: "unknown contact; add it first") }
            if k.removed { throw InputError(field: "contact", message: "contact already removed") }
            k.removed = true
            setContact(key, k)
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
            setContact(key, k)
        case .contactForgotten:
            guard var k = known else { throw InputError(field: "contact", message: "unknown contact; add it first") }
            if k.forgotten { throw InputError(field: "contact", message: "contact already forgotten") }
            k.forgotten = true
            setContact(key, k)
        default:
            preconditionFailure("campaign events are handled above")
        }
    }

    /// The phases in which an event is allowed (domain.md §5); nil: any phase (contact.status,
    /// campaign.created).
    private static func allowedPhases(_ type: EventType) -> [CampaignRegistryEntry.Phase]? {
        switch type {
        case .campaignStarted: [.notStarted]
        case .campaignPaused: [.sending]
        case .campaignResumed: [.paused]
        case .campaignFinished: [.sending, .paused]
        case .campaignCanceled: [.notStarted, .sending, .paused]
        case .contactAdded: [.notStarted, .sending, .paused]
        case .contactRemoved: [.notStarted, .paused]
        case .campaignCreated, .contactStatus, .contactForgotten: nil
        }
    }

    /// The campaign's phase after a lifecycle event; nil for the other events.
    private static func phaseAfter(_ type: EventType) -> CampaignRegistryEntry.Phase? {
        switch type {
        case .campaignStarted: .sending
        case .campaignPaused: .paused
        case .campaignResumed: .sending
        case .campaignFinished, .campaignCanceled: .ended
        case .campaignCreated, .contactAdded, .contactRemoved, .contactStatus, .contactForgotten: nil
        }
    }
}

/// Registry entries a transaction writes: campaigns and contacts as its events left them.
struct RegistryChanges: Sendable {
    var campaigns: [String: CampaignRegistryEntry] = [:]
    var contacts: [ContactIdentity: ContactRegistryEntry] = [:]
}

/// An import's first pass's verdicts on one batch of its second: what `appendInTransaction`
/// uses instead of judging the batch again when the head is still the one they were reached
/// at (`firstPosition - 1`).
struct JudgedBatch: Sendable {
    /// The position the batch's first appended event was given.
    var firstPosition: UInt64
    /// One per event of the request, in order.
    var admissions: [Admission]
    var changes: RegistryChanges
}

/// A contact's identity: the pair (campaign, contact).
struct ContactIdentity: Hashable, Sendable {
    var campaign: String
    var contact: String
    init(campaign: String, contact: String) {
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
