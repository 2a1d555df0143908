import CampaignLedger
import Foundation
import HTTPTypes

/// The body of `POST /v1/events` read into events and expectations (http.md §2): a JSON array of
/// events, `{"events": […], "expect": […]}`, or JSON Lines (`application/x-ndjson`). Each event
/// is read by the same parser as `ledger import` lines, so the rules and messages are the same.
struct EventBatch: Sendable {
    var events: [Event] = []
    var expectations: [StreamExpectation] = []

    init(body: [UInt8], jsonLines: Bool) throws(APIError) {
        if jsonLines {
            try readLines(body)
            return
        }
        let document: StrictJSON.Document
        guard String(validating: body, as: UTF8.self) != nil else {
            throw .badRequest("the body is not UTF-8")
        }
        switch body.withUnsafeBytes({ p in Result { () throws(StrictJSON.SyntaxError) in try StrictJSON.read(p) } }) {
        case .success(let d): document = d
        case .failure(let error):
            throw .badRequest("the body is not JSON (\(error.message)); send a JSON array of events, {\"events\": […]} or JSON Lines as application/x-ndjson")
        }
        if !document.isObject {
            guard let range = Self.arrayContent(body, 0..<body.count) else {
                throw .badRequest("the body is neither a JSON array of events nor an object {\"events\": […], \"expect\": […]}")
            }
            try readElements(body, range)
            return
        }
        var sawEvents = false
        for member in document.members {
            let key = String(decoding: body[member.keyStart..<member.keyEnd], as: UTF8.self)
            let value = member.valueStart..<member.valueEnd
            switch key {
            case "events":
                guard member.kind == .array, let range = Self.arrayContent(body, value) else {
                    throw .badRequest("\"events\" must be an array of events")
                }
                try readElements(body, range)
                sawEvents = true
            case "expect":
                guard member.kind == .array else {
                    throw .badRequest("\"expect\" must be an array of {\"campaign\", \"contact\"?, \"version\"}")
                }
                try readExpectations(Array(body[value]))
            default:
                throw .badRequest("unknown member \(JSONOutput.string(key).serialized()); the body object has \"events\" and \"expect\"")
            }
        }
        guard sawEvents else { throw .badRequest("the body object has no \"events\" array") }
    }

    private mutating func add(_ bytes: ArraySlice<UInt8>) throws(APIError) {
        let index = events.count
        do throws(InputError) {
            let parsed = try EventLineParser.parse(Array(bytes))
            guard let parsed else { return }
            events.append(parsed.event)
        } catch {
            throw APIError(.unprocessableContent, "invalid_event", "event \(index): \(error)", index: index)
        }
    }

    private mutating func readLines(_ body: [UInt8]) throws(APIError) {
        var start = 0
        while start < body.count {
            let end = body[start...].firstIndex(of: 0x0A) ?? body.count
            try add(body[start..<end])
            start = end + 1
        }
    }

    private mutating func readElements(_ body: [UInt8], _ range: Range<Int>) throws(APIError) {
        for element in Self.elements(body, range) { try add(body[element]) }
    }

    private mutating func readExpectations(_ bytes: [UInt8]) throws(APIError) {
        guard let items = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [Any] else {
            throw .badRequest("\"expect\" must be an array")
        }
        for (i, item) in items.enumerated() {
            guard let object = item as? [String: Any], let campaign = object["campaign"] as? String,
                let version = (object["version"] as? NSNumber).flatMap({ UInt64(exactly: $0.doubleValue) }),
                object.keys.allSatisfy(["campaign", "contact", "version"].contains)
            else {
                throw .badRequest("expect[\(i)]: give {\"campaign\": \"…\", \"contact\": \"…\" (optional), \"version\": N ≥ 0}")
            }
            let contact = object["contact"].flatMap { $0 is NSNull ? nil : $0 as? String }
            expectations.append(StreamExpectation(campaign: campaign, contact: contact, version: version))
        }
    }

    /// The range inside the brackets when `range` of `body` (valid JSON) is an array.
    static func arrayContent(_ body: [UInt8], _ range: Range<Int>) -> Range<Int>? {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, isSpace(body[lower]) { lower += 1 }
        while upper > lower, isSpace(body[upper - 1]) { upper -= 1 }
        guard upper - lower >= 2, body[lower] == UInt8(ascii: "["), body[upper - 1] == UInt8(ascii: "]") else { return nil }
        return (lower + 1)..<(upper - 1)
    }

    /// The byte ranges of the elements of an array's content (valid JSON): split at the commas
    /// outside strings and nested containers.
    static func elements(_ body: [UInt8], _ range: Range<Int>) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var depth = 0
        var inString = false
        var escaped = false
        var start = range.lowerBound
        for i in range {
            let b = body[i]
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: ",") where depth == 0:
                result.append(start..<i)
                start = i + 1
            default: break
            }
        }
        if body[range].contains(where: { !isSpace($0) }) { result.append(start..<range.upperBound) }
        return result
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }
}
