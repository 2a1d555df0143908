import CampaignLedger

/// A batch given to `ledger_append`: a JSON array of events, `{"events": […], "expect": […]}` as
/// `POST /v1/events` takes it (http.md §2), or JSON Lines, read by the library's
/// `EventBatchBody` (the parser of `ledger import` lines, so the rules are the same), its
/// problems worded for a C caller.
struct EventBody {
    var events: [Event]
    var expectations: [StreamExpectation]
    /// For JSON Lines, the line number (1-based) of each event; nil for an array.
    var lines: [Int]?

    init(_ body: [UInt8]) throws(CallError) {
        let batch: EventBatchBody
        do {
            batch = try EventBatchBody(body, shape: .either)
        } catch {
            throw .badInput(Self.message(error))
        }
        events = batch.events
        expectations = batch.expectations
        lines = batch.lines
    }

    /// The message for an error of the store about event `index` (1-based): the line for JSON
    /// Lines, the event's index in the array otherwise.
    func locate(_ error: any Error) -> any Error {
        guard let lines, case .invalidInput(let e, let index?) = error as? LedgerError,
            lines.indices.contains(index - 1)
        else { return error }
        return CallError.badInput("line \(lines[index - 1]): \(e)")
    }

    private static func message(_ problem: EventBatchBody.Problem) -> String {
        let usage = "give \"expect\" as [{\"campaign\": \"…\", \"contact\": \"…\" (optional), \"version\": N ≥ 0}]"
        switch problem {
        case .notUTF8: return "the batch is not UTF-8"
        case .notJSON(let message):
            return "the batch is not JSON (\(message)); give a JSON array of events, {\"events\": […], \"expect\": […]} or JSON Lines"
        case .notABatch, .noEvents:
            return "give a JSON array of events, {\"events\": […], \"expect\": […]} or JSON Lines"
        case .eventsNotAnArray: return "\"events\" must be an array of events"
        case .expectNotAnArray, .badExpectation: return usage
        case .unknownMember(let key):
            return "unknown member \(JSONOutput.string(key).serialized()); a batch object has \"events\" and \"expect\""
        case .notAnObject(let element): return "event \(element): line: not a JSON object"
        case .badEvent(_, let line?, let error): return "line \(line): \(error)"
        case .badEvent(let index, nil, let error): return "event \(index + 1): \(error)"
        }
    }
}
