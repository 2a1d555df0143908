import Foundation
import LMDB

/// What `Ledger.forget` did (docs/erasure.md).
public struct ForgetResult: Sendable, Hashable {
    /// A contact whose address was erased now.
    public struct Forgotten: Sendable, Hashable {
        public var campaign: String
        public var contact: String
        /// The position of its `contact.forgotten`.
        public var position: UInt64
        /// The position of its `contact.added`, whose record lost the address.
        public var addedPosition: UInt64
    }

    /// The contacts forgotten now.
    public var forgotten: [Forgotten] = []
    /// The contacts asked for that were forgotten before (nothing was done for them).
    public var alreadyForgotten: [(campaign: String, contact: String)] = []
    /// Parked provider callbacks that held the address, dropped with it.
    public var parkedCallbacksDropped = 0
    /// Positions of events whose chain-covered fields hold the address (a contact id, a reason
    /// or `meta` that repeats the number): the chain covers them, so erasure cannot remove it
    /// there. Said, never hidden.
    public var stillInLog: [UInt64] = []

    public static func == (a: ForgetResult, b: ForgetResult) -> Bool {
        a.forgotten == b.forgotten && a.parkedCallbacksDropped == b.parkedCallbacksDropped && a.stillInLog == b.stillInLog
            && a.alreadyForgotten.map { [$0.campaign, $0.contact] } == b.alreadyForgotten.map { [$0.campaign, $0.contact] }
    }

    public func hash(into h: inout Hasher) {
        h.combine(forgotten)
        h.combine(parkedCallbacksDropped)
        h.combine(stillInLog)
    }

    /// `ledger forget --json` and `POST /v1/forget`.
    public var json: JSONOutput {
        .object([
            ("forgotten", .array(forgotten.map {
                .object([
                    ("campaign", .string($0.campaign)), ("contact", .string($0.contact)),
                    ("position", .int(Int64($0.position))), ("addedPosition", .int(Int64($0.addedPosition))),
                ])
            })),
            ("alreadyForgotten", .array(alreadyForgotten.map {
                .object([("campaign", .string($0.campaign)), ("contact", .string($0.contact))])
            })),
            ("parkedCallbacksDropped", .int(Int64(parkedCallbacksDropped))),
            ("stillInLog", .array(stillInLog.map { .int(Int64($0)) })),
        ])
    }
}

/// An erasure asked for as one JSON object, the body of `POST /v1/forget` and the request of
/// `ledger_forget` (C) and `Ledger.forget` (Python): `{"campaign", "contact", "reason",
/// "actor"?}` or `{"address", "reason", "actor"?}`, every value a string.
public struct ForgetRequest: Sendable, Hashable {
    public enum Target: Sendable, Hashable {
        case contact(campaign: String, contact: String)
        case address(String)
    }

    public var target: Target
    public var reason: String
    public var actor: String?

    public init(target: Target, reason: String, actor: String? = nil) {
        self.target = target
        self.reason = reason
        self.actor = actor
    }

    /// Reads the JSON object; anything else (not JSON, an unknown field, a value that is not a
    /// string, no reason, neither or both of contact and address) throws `LedgerError.usage`.
    public init(json: [UInt8]) throws(LedgerError) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else {
            throw .usage(#"the request is one JSON object: {"campaign", "contact", "reason"} or {"address", "reason"}"#)
        }
        var fields: [String: String] = [:]
        for (key, value) in object {
            guard ["campaign", "contact", "address", "reason", "actor"].contains(key) else {
                throw .usage("unknown field \(key); the fields are campaign, contact, address, reason, actor")
            }
            guard let text = value as? String else { throw .usage("\(key) must be a string") }
            fields[key] = text
        }
        guard let reason = fields["reason"], !reason.isEmpty else {
            throw .usage("reason is required: why the address is erased (it is kept in the event)")
        }
        switch (fields["campaign"], fields["contact"], fields["address"]) {
        case (let campaign?, let contact?, nil): target = .contact(campaign: campaign, contact: contact)
        case (nil, nil, let address?): target = .address(address)
        default: throw .usage("give campaign and contact, or address")
        }
        self.reason = reason
        actor = fields["actor"]
    }
}

extension Ledger {
    /// Erases the address of one contact (docs/erasure.md): appends a `contact.forgotten` (who,
    /// when, why) and, in the same transaction, removes the address and its salt from the
    /// contact's `contact.added` record, the projections and the parked callbacks. The hash chain
    /// is unchanged: it covers the address's digest. A contact forgotten before is reported in
    /// `alreadyForgotten` and nothing is appended. The old bytes stay in LMDB's free pages until
    /// `Ledger.compact` (or reuse) removes them.
    @discardableResult
    public func forget(campaign: String, contact: String, reason: String, actor: String? = nil) throws -> ForgetResult {
        try Self.requireReason(reason)
        try catchUpBeforeErasure()
        let known: ContactRegistryEntry? = try store.environment.read { txn in
            try txn.get(store.layout.registry, StoreLayout.registryContactKey(campaign, contact)).flatMap {
                $0.withUnsafeBytes(ContactRegistryEntry.init)
            }
        }
        guard let known else {
            throw LedgerError.notFound("no contact \(Echo.quoted(contact)) in campaign \(Echo.quoted(campaign))")
        }
        if known.forgotten {
            var result = ForgetResult()
            result.alreadyForgotten = [(campaign, contact)]
            return result
        }
        return try forgetContacts([(campaign, contact)], reason: reason, actor: actor)
    }

    /// Erases the address of every contact, in every campaign, whose stored address is `address`
    /// (compared through each contact's salt and digest, and also with spaces, `-`, `(`, `)` and
    /// `.` left out on both sides, so `+49 170 1234567` finds `+491701234567`), in one
    /// transaction. Contacts forgotten before cannot be found (their salt is gone): the result
    /// is then empty.
    @discardableResult
    public func forget(address: String, reason: String, actor: String? = nil) throws -> ForgetResult {
        try Self.requireReason(reason)
        let given = Array(address.utf8)
        let cleaned = Self.cleanedAddress(given)
        guard !given.isEmpty else { throw LedgerError.usage("give the address to forget (it is empty)") }
        try catchUpBeforeErasure()
        let matches: [(String, String)] = try store.environment.read { txn in
            var out: [(String, String)] = []
            try store.forEachContactAdded(txn) { _, recorded in
                let e = recorded.event
                guard let stored = e.address, let contact = e.contact else { return true }
                let salt = recorded.addressSalt ?? []
                let same = SHA256Digest.withDigest(of: salt, given) { Array($0) }
                    == SHA256Digest.withDigest(of: salt, Array(stored.utf8)) { Array($0) }
                if same || (!cleaned.isEmpty && Self.cleanedAddress(Array(stored.utf8)) == cleaned) {
                    out.append((e.campaign, contact))
                }
                return true
            }
            return out
        }
        guard !matches.isEmpty else { return ForgetResult() }
        return try forgetContacts(matches, reason: reason, actor: actor)
    }

    /// The erasure a `ForgetRequest` asks for: `forget(campaign:contact:reason:actor:)` or
    /// `forget(address:reason:actor:)`.
    @discardableResult
    public func forget(_ request: ForgetRequest) throws -> ForgetResult {
        switch request.target {
        case .contact(let campaign, let contact):
            return try forget(campaign: campaign, contact: contact, reason: request.reason, actor: request.actor)
        case .address(let address):
            return try forget(address: address, reason: request.reason, actor: request.actor)
        }
    }

    private static func requireReason(_ reason: String) throws {
        guard !reason.isEmpty else { throw LedgerError.usage("give the reason for the erasure (it is kept in the event)") }
    }

    /// With a shared log, the replica first applies what other hosts appended, so that a contact
    /// added, or forgotten, on another host is found (docs/scale-out.md "Erasure"). An
    /// unreachable log fails the erasure (exit 69), nothing done.
    private func catchUpBeforeErasure() throws {
        guard let replica else { return }
        _ = try runBlocking { try await replica.catchUp() }
    }

    /// An address without the characters domain.md §5 ignores (U+0020, `-`, `(`, `)`, `.`).
    static func cleanedAddress(_ utf8: [UInt8]) -> [UInt8] {
        utf8.filter { ![0x20, 0x2D, 0x28, 0x29, 0x2E].contains($0) }
    }

    /// Appends a `contact.forgotten` for each contact in one request, after finding what the
    /// erasure will drop and what it cannot reach.
    private func forgetContacts(_ contacts: [(String, String)], reason: String, actor: String?) throws -> ForgetResult {
        let at = RFC3339.formatMicros(Clock.nowMicros())
        var result = ForgetResult()
        var added: [UInt64] = []
        try store.environment.read { txn in
            var forms: [[UInt8]] = []
            for (campaign, contact) in contacts {
                let positions = try store.streamPositions(campaign: campaign, contact: contact, txn)
                guard let first = positions.first else {
                    throw LedgerError.corrupted("contact \(contact) of campaign \(campaign) has no events")
                }
                added.append(first)
                let addedEvent = try LedgerStore.decodeRecord(at: first, txn, store.layout)
                let contactForms = addedEvent.event.address.map(LedgerStore.addressForms) ?? []
                forms += contactForms
                for p in positions {
                    let bytes = ExportLine.canonicalBytes(try LedgerStore.decodeRecord(at: p, txn, store.layout))
                    let holds = bytes.withUnsafeBytes { b in contactForms.contains { LedgerStore.contains(b, $0) } }
                    if holds { result.stillInLog.append(p) }
                }
            }
            if let db = store.layout.parked, !forms.isEmpty {
                try txn.forEach(db) { key, value in
                    if forms.contains(where: { LedgerStore.contains(value, $0) || LedgerStore.contains(key, $0) }) {
                        result.parkedCallbacksDropped += 1
                    }
                    return true
                }
            }
        }
        var events: [Event] = []
        for (campaign, contact) in contacts {
            var event = try Event(.contactForgotten, campaign: campaign, at: at, contact: contact, reason: reason, actor: actor)
            event.id = nil
            events.append(event)
        }
        let outcomes = try appendAndWait(events)
        for (index, outcome) in outcomes.enumerated() {
            let (campaign, contact) = contacts[index]
            result.forgotten.append(
                ForgetResult.Forgotten(campaign: campaign, contact: contact, position: outcome.position, addedPosition: added[index]))
        }
        result.stillInLog.sort()
        return result
    }
}
