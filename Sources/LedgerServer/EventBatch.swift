import CampaignLedger
import HTTPTypes

/// The body of `POST /v1/events` read into events and expectations (http.md §2): a JSON array of
/// events, `{"events": […], "expect": […]}`, or JSON Lines (`application/x-ndjson`), by the
/// library's `EventBatchBody` (the parser of `ledger import` lines, on every core), its problems
/// answered as http.md says: 400 for a body that is not a batch, 422 with the event's 0-based
/// index for an event that does not parse.
struct EventBatch: Sendable {
    var events: [Event]
    var expectations: [StreamExpectation]

    init(body: [UInt8], jsonLines: Bool) throws(APIError) {
        let batch: EventBatchBody
        do {
            batch = try EventBatchBody(body, shape: jsonLines ? .jsonLines : .document)
        } catch {
            throw Self.answer(error)
        }
        events = batch.events
        expectations = batch.expectations
    }

    private static func answer(_ problem: EventBatchBody.Problem) -> APIError {
        switch problem {
        case .notUTF8: return .badRequest("the body is not UTF-8")
        case .notJSON(let message):
            return .badRequest("the body is not JSON (\(message)); send a JSON array of events, {\"events\": […]} or JSON Lines as application/x-ndjson")
        case .notABatch:
            return .badRequest("the body is neither a JSON array of events nor an object {\"events\": […], \"expect\": […]}")
        case .noEvents: return .badRequest("the body object has no \"events\" array")
        case .eventsNotAnArray: return .badRequest("\"events\" must be an array of events")
        case .expectNotAnArray: return .badRequest("\"expect\" must be an array of {\"campaign\", \"contact\"?, \"version\"}")
        case .badExpectation(let i):
            return .badRequest("expect[\(i)]: give {\"campaign\": \"…\", \"contact\": \"…\" (optional), \"version\": N ≥ 0}")
        case .unknownMember(let key):
            return .badRequest("unknown member \(JSONOutput.string(key).serialized()); the body object has \"events\" and \"expect\"")
        case .notAnObject(let element):
            return APIError(.unprocessableContent, "invalid_event", "event \(element - 1): line: not a JSON object", index: element - 1)
        case .badEvent(let index, _, let error):
            return APIError(.unprocessableContent, "invalid_event", "event \(index): \(error)", index: index)
        }
    }
}
