package import CampaignLedger
import Foundation
import Hummingbird
import HummingbirdCore

/// The query parameters of the read routes (http.md §2), read apart from the request and the
/// ledger: each accessor gives the parameter's value or throws a 400 `APIError` saying what is
/// wrong. Pure, so the routes and the `query` fuzz target (Tests/Fuzz) run the same code.
package struct QueryParameters: Sendable {
    private let parameters: Parameters

    init(_ uri: URI) {
        parameters = uri.queryParameters
    }

    /// The parameters of a request target (`/v1/events?after=3`) as the server decodes them.
    package init(target: String) {
        self.init(URI(target))
    }

    /// The decoded value of `name` (the first when repeated); nil when absent.
    package func text(_ name: String) -> String? {
        parameters.get(name)
    }

    /// `name` as a `T`; nil when absent.
    package func value<T: LosslessStringConvertible>(_ name: String, _: T.Type) throws(APIError) -> T? {
        guard let text = text(name) else { return nil }
        guard let value = T(text) else { throw APIError.badRequest("\(name)=\(text) is not a valid \(name)") }
        return value
    }

    /// `GET /v1/events`: `after` (a position, default 0) and `limit` (1 … 10 000, the default).
    package func eventsPage() throws(APIError) -> (after: UInt64, limit: Int) {
        let after = try value("after", UInt64.self) ?? 0
        let limit = try value("limit", Int.self) ?? Limits.defaultEventsLimit
        guard (1...Limits.defaultEventsLimit).contains(limit) else {
            throw APIError.badRequest("limit must be 1 to \(Limits.defaultEventsLimit)")
        }
        return (after, limit)
    }

    /// `asOf` or `occurredBefore`: RFC 3339, not both (interchange.md §3).
    package func timeFilter() throws(APIError) -> TimeFilter? {
        let asOf = text("asOf")
        let before = text("occurredBefore")
        if asOf != nil && before != nil { throw APIError.badRequest("give asOf or occurredBefore, not both") }
        for (name, value) in [("asOf", asOf), ("occurredBefore", before)] {
            guard let value else { continue }
            guard let t = try? RFC3339.parseNanos(value) else {
                throw APIError.badRequest("\(name)=\(value) is not an RFC 3339 time like 2026-11-20T09:30:02Z")
            }
            return name == "asOf" ? .asOf(nanos: t) : .occurredBefore(nanos: t)
        }
        return nil
    }

    /// `GET /v1/campaigns/{campaign}/contacts`: `state` (a contact state), `limit` (at least 1)
    /// and the cursor `after` (a contact id, taken as given).
    package func contactsPage() throws(APIError) -> (state: ContactState?, limit: Int?, after: String?) {
        let name = text("state")
        let state = name.flatMap(ContactState.init(rawValue:))
        if let name, state == nil {
            throw APIError.badRequest("unknown state \(name); states are: \(ContactState.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let limit = try value("limit", Int.self)
        if let limit, limit < 1 { throw APIError.badRequest("limit must be at least 1") }
        return (state, limit, text("after"))
    }

    /// `GET /v1/events/stream`: the position to stream after, from `after`, else the
    /// `Last-Event-ID` header's value, else 0.
    package func streamStart(lastEventID: String?) throws(APIError) -> UInt64 {
        if let text = text("after") {
            guard let p = UInt64(text) else { throw APIError.badRequest("after=\(text) is not a position") }
            return p
        }
        if let text = lastEventID {
            guard let p = UInt64(text.trimmingCharacters(in: .whitespaces)) else {
                throw APIError.badRequest("Last-Event-ID: \(text) is not a position")
            }
            return p
        }
        return 0
    }

    /// `DELETE /v1/callbacks/parked`: `olderThan`, an age like `7d` (required).
    package func olderThan() throws(APIError) -> Duration {
        guard let text = text("olderThan") else {
            throw APIError.badRequest("give olderThan, e.g. ?olderThan=7d (units s, m, h, d, w): parked callbacks received before then are dropped")
        }
        guard let age = ParkedCallback.age(text) else {
            throw APIError.badRequest("olderThan=\(text) is not an age like 7d or 36h (units s, m, h, d, w)")
        }
        return age
    }
}
