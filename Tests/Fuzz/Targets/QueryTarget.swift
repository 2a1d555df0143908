import CampaignLedger
import HTTPTypes
import LedgerServer

/// The query string of a read route, decoded as the server decodes it: every parameter the
/// routes read (`after`, `limit`, `asOf`, `occurredBefore`, `state`, the contacts' `after`
/// cursor, `Last-Event-ID`, `olderThan`) gives a value within its range or a 400 with a message.
enum QueryTarget {
    static func run(_ data: [UInt8]) throws(FuzzViolation) {
        let query = String(decoding: data, as: UTF8.self)
        let q = QueryParameters(target: "/v1/events?" + query)
        if let page = try outcome({ () throws(APIError) in try q.eventsPage() }) {
            guard (1...10_000).contains(page.limit), page.after == q.text("after").flatMap({ UInt64($0) }) ?? 0 else {
                throw FuzzViolation("events page out of range: after \(page.after), limit \(page.limit)")
            }
        }
        if let filter = try outcome({ () throws(APIError) in try q.timeFilter() }) {
            let given = q.text("asOf") ?? q.text("occurredBefore")
            let nanos: Int64?
            switch filter {
            case .asOf(let n)?, .occurredBefore(let n)?: nanos = n
            default: nanos = nil
            }
            guard nanos == given.flatMap({ try? RFC3339.parseNanos($0) }) else {
                throw FuzzViolation("a time filter that is not the time given: \(excerpt(given ?? "none"))")
            }
        }
        if let page = try outcome({ () throws(APIError) in try q.contactsPage() }) {
            guard page.limit.map({ $0 >= 1 }) ?? true, page.state?.rawValue == q.text("state"), page.after == q.text("after") else {
                throw FuzzViolation("a contacts page that is not what was given")
            }
        }
        _ = try outcome({ () throws(APIError) in try q.streamStart(lastEventID: q.text("lastEventID")) })
        if let age = try outcome({ () throws(APIError) in try q.olderThan() }), age < .zero {
            throw FuzzViolation("a negative age \(age)")
        }
    }

    /// The value, or nil when refused with a 400 that says why.
    static func outcome<T>(_ body: () throws(APIError) -> T) throws(FuzzViolation) -> T? {
        do {
            return try body()
        } catch {
            guard error.status == .badRequest, error.code == "bad_request", !error.message.isEmpty else {
                throw FuzzViolation("a query refused with \(error.status.code) \(error.code): \(excerpt(error.message))")
            }
            return nil
        }
    }
}
