/// The ten kinds of event a ledger stores (interchange.md §1; `contact.forgotten` is the erasure of
/// a contact's address, docs/erasure.md).
public enum EventType: String, Sendable, CaseIterable, Hashable, Codable {
    case campaignCreated = "campaign.created"
    case campaignStarted = "campaign.started"
    case campaignPaused = "campaign.paused"
    case campaignResumed = "campaign.resumed"
    case campaignFinished = "campaign.finished"
    case campaignCanceled = "campaign.canceled"
    case contactAdded = "contact.added"
    case contactRemoved = "contact.removed"
    case contactStatus = "contact.status"
    /// The contact's address was erased (`ledger forget`): who, when, why. Appending it removes
    /// the address and its salt from the store in the same transaction (docs/erasure.md).
    case contactForgotten = "contact.forgotten"

    /// `contact.*` events name a contact; `campaign.*` events do not.
    public var isContactEvent: Bool {
        switch self {
        case .contactAdded, .contactRemoved, .contactStatus, .contactForgotten: true
        default: false
        }
    }

    /// A stable one-byte code used in the binary record (docs/format.md). Never renumber.
    package var code: UInt8 {
        switch self {
        case .campaignCreated: 1
        case .campaignStarted: 2
        case .campaignPaused: 3
        case .campaignResumed: 4
        case .campaignFinished: 5
        case .campaignCanceled: 6
        case .contactAdded: 7
        case .contactRemoved: 8
        case .contactStatus: 9
        case .contactForgotten: 10
        }
    }

    package init?(code: UInt8) {
        guard let found = EventType.allCases.first(where: { $0.code == code }) else { return nil }
        self = found
    }
}
