import Foundation
import LMDB

/// A provider callback kept in the store's parked table (http.md §3): its status could not be
/// appended yet — no event records its message id and it carried no correlation data, or it
/// cannot be mapped or was rejected (`reason` says which). Applied in the transaction of the
/// event that records its message id; listed by `Ledger.parkedCallbacks()` and dropped only by
/// `Ledger.dropParkedCallbacks(receivedBefore:)`.
public struct ParkedCallback: Sendable, Hashable {
    /// The status as the adapter made it.
    public var status: ProviderStatus
    /// Why it waits, in words.
    public var reason: String
    /// When the ledger received it (µs since 1970, UTC).
    public var receivedAtMicros: Int64
    /// The `at` its event gets: the provider's time, else when it was received.
    public var at: String

    public init(status: ProviderStatus, reason: String, receivedAtMicros: Int64, at: String) {
        self.status = status
        self.reason = reason
        self.receivedAtMicros = receivedAtMicros
        self.at = at
    }

    /// `ledger callbacks parked --json` and `GET /v1/callbacks/parked` entries, also the stored
    /// value (docs/format.md): `id` (the event id it will get), `provider`, `messageId`,
    /// `campaign`/`contact`/`attempt` (its correlation data, when it had any), `status` (the
    /// ledger's, null when unmapped), `providerStatus`, `code`, `reason` (the provider's),
    /// `at`, `receivedAt`, `bodySha256`, `problem` (why it cannot be mapped) and `parkedBecause`.
    public var json: JSONOutput {
        let s = status
        func text(_ v: String?) -> JSONOutput { v.map(JSONOutput.string) ?? .null }
        return .object([
            ("id", .string(s.eventID)), ("provider", .string(s.provider.rawValue)), ("messageId", text(s.messageID)),
            ("campaign", text(s.correlation?.campaign)), ("contact", text(s.correlation?.contact)),
            ("attempt", s.correlation?.attempt.map { .int(Int64($0)) } ?? .null),
            ("status", text(s.status?.rawValue)), ("providerStatus", .string(s.providerStatus)),
            ("code", text(s.code)), ("reason", text(s.reason)), ("at", .string(at)),
            ("receivedAt", .string(RFC3339.formatMicros(receivedAtMicros))), ("bodySha256", .string(s.bodySHA256)),
            ("problem", text(s.problem)), ("parkedBecause", .string(reason)),
        ])
    }

    var stored: [UInt8] { Array(json.serialized().utf8) }

    init?(stored bytes: [UInt8]) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return nil }
        func text(_ k: String) -> String? { object[k] as? String }
        guard let id = text("id"), let provider = text("provider").flatMap(CallbackProvider.init(rawValue:)),
            let providerStatus = text("providerStatus"), let at = text("at"), let received = text("receivedAt"),
            let receivedNanos = try? RFC3339.parseNanos(received), let sha = text("bodySha256"),
            let reason = text("parkedBecause")
        else { return nil }
        var correlation: Correlation?
        if let campaign = text("campaign"), let contact = text("contact") {
            correlation = Correlation(campaign: campaign, contact: contact, attempt: (object["attempt"] as? NSNumber)?.intValue)
        }
        let status = ProviderStatus(
            provider: provider, messageID: text("messageId"), correlation: correlation,
            status: text("status").flatMap(ContactState.init(rawValue:)), providerStatus: providerStatus,
            code: text("code"), reason: text("reason"), at: at, eventID: id, problem: text("problem"), bodySHA256: sha)
        self.init(status: status, reason: reason, receivedAtMicros: receivedNanos / 1000, at: at)
    }

    /// Whether an event is a provider callback that was parked before it was appended.
    static func waited(_ e: Event) -> Bool {
        guard let actor = e.actor, actor.hasPrefix("provider:"), let meta = e.meta, meta.contains("parkedAt"),
            let object = try? JSONSerialization.jsonObject(with: Data(meta.utf8)) as? [String: Any]
        else { return false }
        return object["parkedAt"] is String
    }

    /// `len(ref) u16 BE ‖ ref`: the entries waiting for one message id (empty for none).
    static func prefix(ref: String?) -> [UInt8] {
        let bytes = Array((ref ?? "").utf8)
        return UInt16(bytes.count).bigEndianBytes + bytes
    }

    static func key(ref: String?, id: String) -> [UInt8] { prefix(ref: ref) + Array(id.utf8) }

    /// The `contact.status` event it becomes for a contact: the provider as `actor`, its
    /// message id as `providerRef`, and in `meta` the provider's own status, the SHA-256 of
    /// the body it came in and, when it waited, `parkedAt` (when it was received). Checked by
    /// every rule of an imported line.
    package func event(campaign: String, contact: String, attempt: Int?, parkedAt: Int64?) throws -> Event {
        let s = status
        guard let state = s.status else { throw InputError(field: "status", message: s.problem ?? "not mapped") }
        var meta: [(String, JSONOutput)] = [
            ("provider", .string(s.provider.rawValue)), ("providerStatus", .string(s.providerStatus)),
            ("bodySha256", .string(s.bodySHA256)),
        ]
        if let parkedAt { meta.append(("parkedAt", .string(RFC3339.formatMicros(parkedAt)))) }
        var members: [(String, JSONOutput)] = [
            ("type", .string(EventType.contactStatus.rawValue)), ("campaign", .string(campaign)),
            ("contact", .string(contact)), ("at", .string(at)), ("id", .string(s.eventID)),
            ("status", .string(state.rawValue)),
        ]
        if let attempt { members.append(("attempt", .int(Int64(attempt)))) }
        if let code = s.code { members.append(("code", .string(code))) }
        if let reason = s.reason { members.append(("reason", .string(reason))) }
        if let ref = s.messageID { members.append(("providerRef", .string(ref))) }
        members.append(("actor", .string(s.provider.actor)))
        members.append(("meta", .object(meta)))
        return try Event(json: JSONOutput.object(members).serialized())
    }
}
