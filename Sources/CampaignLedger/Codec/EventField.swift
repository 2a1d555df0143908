/// The top-level field names of an event line (interchange.md §1), input and read-only.
enum EventField: Int, CaseIterable {
    case type, campaign, at, id, contact, channel, name, address, status, attempt, code, reason
    case providerRef, actor, meta
    case position, recordedAt, hash, addressSalt, addressDigest, addressProblem

    var name: String {
        switch self {
        case .type: "type"
        case .campaign: "campaign"
        case .at: "at"
        case .id: "id"
        case .contact: "contact"
        case .channel: "channel"
        case .name: "name"
        case .address: "address"
        case .status: "status"
        case .attempt: "attempt"
        case .code: "code"
        case .reason: "reason"
        case .providerRef: "providerRef"
        case .actor: "actor"
        case .meta: "meta"
        case .position: "position"
        case .recordedAt: "recordedAt"
        case .hash: "hash"
        case .addressSalt: "addressSalt"
        case .addressDigest: "addressDigest"
        case .addressProblem: "addressProblem"
        }
    }

    private static let utf8Names: [[UInt8]] = allCases.map { Array($0.name.utf8) }

    /// The field a key names, compared byte for byte (no Unicode normalization).
    init?(key: UnsafeRawBufferPointer) {
        for (index, name) in EventField.utf8Names.enumerated()
        where name.count == key.count && name.elementsEqual(key) {
            self = EventField(rawValue: index)!
            return
        }
        return nil
    }

    /// Export fields written by the ledger, accepted and format-checked on import.
    var isReadOnly: Bool { rawValue >= EventField.position.rawValue }

    /// Whether the value must be a JSON string.
    var isString: Bool { !(self == .attempt || self == .meta || self == .position) }

    /// Whether an event of this type uses the field; a used field is validated and stored, any
    /// other input field is ignored entirely (interchange.md §1).
    func isUsed(by type: EventType) -> Bool {
        switch self {
        case .type, .campaign, .at, .id, .code, .reason, .providerRef, .actor, .meta: true
        case .channel, .name: type == .campaignCreated
        case .contact: type.isContactEvent
        case .address: type == .contactAdded
        case .status, .attempt: type == .contactStatus
        case .position, .recordedAt, .hash, .addressSalt, .addressDigest, .addressProblem: false
        }
    }

    /// The fields an event of this type must carry (not null), in the order they are checked.
    static func required(by type: EventType) -> [EventField] {
        switch type {
        case .campaignCreated: [.type, .campaign, .at, .channel]
        case .contactAdded: [.type, .campaign, .at, .contact, .address]
        case .contactRemoved: [.type, .campaign, .at, .contact]
        case .contactStatus: [.type, .campaign, .at, .contact, .status]
        case .contactForgotten: [.type, .campaign, .at, .contact, .reason]
        default: [.type, .campaign, .at]
        }
    }

    /// Byte limits of string fields (min, max UTF-8 bytes, control characters forbidden), in
    /// the order they are checked.
    static let stringLimits: [(field: EventField, min: Int, max: Int, noControl: Bool)] = [
        (.campaign, 1, 128, true), (.id, 1, 128, true), (.contact, 1, 128, true),
        (.providerRef, 1, 256, true), (.code, 1, 256, true),
        (.actor, 0, 4096, false), (.name, 0, 4096, false), (.reason, 0, 4096, false),
        (.addressProblem, 1, 256, true),
    ]

    /// Whether the import takes `text` as a value of this string field (its byte limits, and no
    /// control character where those are forbidden). The callback adapters hold correlation
    /// data and message ids to it, so what they pass on is never refused for its form.
    func accepts(_ text: String) -> Bool {
        guard let limit = Self.stringLimits.first(where: { $0.field == self }) else { return true }
        return (limit.min...limit.max).contains(text.utf8.count) && !(limit.noControl && Self.hasControl(text))
    }

    /// Unicode category Cc: U+0000–U+001F and U+007F–U+009F (in UTF-8: C2 80 … C2 9F).
    static func hasControl(_ s: String) -> Bool {
        var text = s
        return text.withUTF8 { utf8 in
            var previous: UInt8 = 0
            for b in utf8 {
                if b < 0x20 || b == 0x7F || (previous == 0xC2 && b >= 0x80 && b <= 0x9F) { return true }
                previous = b
            }
            return false
        }
    }
}
