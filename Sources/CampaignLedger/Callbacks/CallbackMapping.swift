/// How a provider's status becomes a ledger state (http.md §3, "Which status"): one table per
/// provider, used by the parsers and rendered into docs/callbacks.md, so the two cannot drift.
public struct CallbackMapping: Sendable, Hashable {
    /// One row: the provider's value, an optional condition on its error code, the ledger state.
    public struct Row: Sendable, Hashable {
        /// What the row asks of the error code besides the status value.
        public enum Condition: Sendable, Hashable {
            /// Any code, or none.
            case any
            /// Exactly this code.
            case code(String)
            /// A code no other row of the same value names (or none).
            case otherCodes
        }

        /// The value the parser matches: Meta/Twilio/Vonage the `status` string, Infobip the
        /// status group name or `SEEN`, Meta inbound messages `message`.
        public var value: String
        public var condition: Condition
        public var state: ContactState
        /// The row's first column in the docs, when not just the value in code font.
        public var label: String?

        public init(_ value: String, _ condition: Condition, _ state: ContactState, label: String? = nil) {
            self.value = value
            self.condition = condition
            self.state = state
            self.label = label
        }

        /// A row for any error code.
        public init(_ value: String, _ state: ContactState, label: String? = nil) {
            self.init(value, .any, state, label: label)
        }
    }

    public var provider: CallbackProvider
    public var rows: [Row]
    /// The noun of the unknown-status problem ("status", "status group").
    public var valueName: String

    /// The ledger state for `value` with error `code`, or nil when no row matches.
    public func state(for value: String, code: String? = nil) -> ContactState? {
        let candidates = rows.filter { $0.value == value }
        if let code, let exact = candidates.first(where: { $0.condition == .code(code) }) { return exact.state }
        return candidates.first { $0.condition == .any || $0.condition == .otherCodes }?.state
    }

    /// The problem text of a value no row matches (the status is parked with it).
    func unknown(_ value: String) -> String {
        "unknown \(provider.rawValue) \(valueName) \(Echo.quoted(value)): parked; map it in docs/callbacks.md's table or drop it"
    }

    /// The table of `provider`.
    public static func of(_ provider: CallbackProvider) -> CallbackMapping {
        switch provider {
        case .meta: meta
        case .twilio: twilio
        case .infobip: infobip
        case .vonage: vonage
        }
    }

    public static let meta = CallbackMapping(
        provider: .meta,
        rows: [
            Row("sent", .sent),
            Row("delivered", .delivered),
            Row("read", .read),
            Row("played", .read),
            Row("failed", .code("131026"), .sendingFailed),
            Row("failed", .code("131050"), .blockedOrSpam),
            Row("failed", .otherCodes, .deliveryFailed),
            Row("message", .responded, label: "an inbound message whose `context.id` is the message's id"),
        ], valueName: "status")

    public static let twilio = CallbackMapping(
        provider: .twilio,
        rows: [
            Row("queued", .queued),
            Row("accepted", .queued),
            Row("scheduled", .queued),
            Row("sending", .inProgress),
            Row("sent", .sent),
            Row("delivered", .delivered),
            Row("read", .read),
            Row("failed", .sendingFailed),
            Row("undelivered", .deliveryFailed),
        ], valueName: "status")

    /// Mapped by the status group, as http.md §3 says: `DELIVERED_TO_OPERATOR` (id 2) is in
    /// group `DELIVERED`, so it records `delivered` although Infobip calls it intermediate.
    public static let infobip = CallbackMapping(
        provider: .infobip,
        rows: [
            Row("PENDING", .sent, label: "status group `PENDING`"),
            Row("DELIVERED", .delivered, label: "status group `DELIVERED`"),
            Row("SEEN", .read, label: "a seen report (`seenAt`)"),
            Row("REJECTED", .sendingFailed, label: "status group `REJECTED`"),
            Row("UNDELIVERABLE", .deliveryFailed, label: "status group `UNDELIVERABLE`"),
            Row("EXPIRED", .deliveryFailed, label: "status group `EXPIRED`"),
        ], valueName: "status group")

    public static let vonage = CallbackMapping(
        provider: .vonage,
        rows: [
            Row("submitted", .sent),
            Row("delivered", .delivered),
            Row("read", .read),
            Row("rejected", .sendingFailed),
            Row("undeliverable", .deliveryFailed),
            Row("failed", .deliveryFailed),
        ], valueName: "status")

    /// The Markdown table of every provider's rows, as docs/callbacks.md shows it.
    public static func markdownTable() -> String {
        var lines = ["| provider | the provider reports | the ledger records |", "|---|---|---|"]
        for provider in CallbackProvider.allCases {
            for row in of(provider).rows {
                var said = row.label ?? "`\(row.value)`"
                switch row.condition {
                case .any: break
                case .code(let code): said += " with error code \(code)"
                case .otherCodes: said += " with any other error code, or none"
                }
                lines.append("| \(provider.rawValue) | \(said) | `\(row.state.rawValue)` |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
