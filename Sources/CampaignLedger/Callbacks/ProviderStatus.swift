/// The messaging providers whose status callbacks the ledger takes as they send them
/// (docs/callbacks.md).
public enum CallbackProvider: String, Sendable, Hashable, CaseIterable {
    /// WhatsApp Cloud API (also as forwarded unchanged by 360dialog): JSON, `X-Hub-Signature-256`.
    case meta
    /// Twilio Messaging StatusCallback: a form, `X-Twilio-Signature`.
    case twilio
    /// Infobip delivery and seen reports: JSON, a bearer token or basic auth.
    case infobip
    /// Vonage Messages API status webhook: JSON, a HS256 JWT with `payload_hash`.
    case vonage

    /// The event's `actor`: `provider:NAME`.
    public var actor: String { "provider:\(rawValue)" }
}

/// The contact a callback is about, as the sender attached it to the message
/// (`CAMPAIGN/CONTACT/ATTEMPT`, each part percent-encoded; the attempt may be absent).
public struct Correlation: Sendable, Hashable {
    public var campaign: String
    public var contact: String
    public var attempt: Int?

    public init(campaign: String, contact: String, attempt: Int? = nil) {
        self.campaign = campaign
        self.contact = contact
        self.attempt = attempt
    }
}

/// One status a provider reported, mapped to the ledger's terms but not yet tied to a contact
/// unless the payload carried correlation data. The ledger ties it (correlation data, else the
/// `providerRef` index) and appends it as a `contact.status` event, or parks it.
public struct ProviderStatus: Sendable, Hashable {
    public var provider: CallbackProvider
    /// The provider's message id (the event's `providerRef`); nil when the payload has none
    /// (parked: it can never be tied).
    public var messageID: String?
    /// `messageID` when an event can record it as its `providerRef` (1–256 UTF-8 bytes, no
    /// control characters, interchange.md §1); nil otherwise. Only such an id is looked up in
    /// the index or parked under: no event could ever record another.
    public var recordableRef: String? {
        guard let id = messageID, (1...256).contains(id.utf8.count),
            !id.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { return nil }
        return id
    }
    /// From the payload's correlation data, when present and well-formed.
    public var correlation: Correlation?
    /// The ledger's state for the provider's status; nil when it cannot be mapped (`problem`
    /// says why; parked).
    public var status: ContactState?
    /// The status as the provider wrote it (e.g. `read`, `DELIVERED_TO_HANDSET`, `SEEN`).
    public var providerStatus: String
    /// The provider's error code and text, for failures.
    public var code: String?
    public var reason: String?
    /// The provider's own time of the status as RFC 3339 text; nil: the time the ledger received it.
    public var at: String?
    /// The event's id, derived from the provider's dedupe key, so a retried webhook is a
    /// duplicate and never a second report.
    public var eventID: String
    /// Why it cannot be appended as it is (an unknown status string, no message id); nil when
    /// it can.
    public var problem: String?
    /// SHA-256 (lowercase hex) of the request body it came in: matches the event to the
    /// provider's payload in a dispute.
    public var bodySHA256: String

    public init(
        provider: CallbackProvider, messageID: String?, correlation: Correlation?, status: ContactState?,
        providerStatus: String, code: String? = nil, reason: String? = nil, at: String?, eventID: String,
        problem: String? = nil, bodySHA256: String
    ) {
        self.provider = provider
        self.messageID = messageID
        self.correlation = correlation
        self.status = status
        self.providerStatus = providerStatus
        self.code = code
        self.reason = reason
        self.at = at
        self.eventID = eventID
        self.problem = problem
        self.bodySHA256 = bodySHA256
    }
}

/// What became of one provider status.
public enum CallbackOutcome: Sendable, Hashable {
    /// Appended as the event at `position`.
    case appended(position: UInt64, id: String)
    /// A retry of the status already at `position`: one report, not two.
    case duplicate(position: UInt64, id: String)
    /// Kept in the store's parked table (`reason`), applied when an event records its
    /// message id, or listed and dropped explicitly.
    case parked(id: String, reason: String)
}
