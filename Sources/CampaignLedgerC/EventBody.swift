import CampaignLedger
import Foundation

/// A batch given to `ledger_append`, read with the parser of `ledger import` lines (so the rules
/// and messages are the same): a JSON array of events, `{"events": […], "expect": […]}` as
/// `POST /v1/events` takes it (http.md §2), or JSON Lines.
struct EventBody {
    var events: [Event] = []
    var expectations: [StreamExpectation] = []
    /// For JSON Lines, the line number (1-based) of each event; nil for an array.
    var lines: [Int]?

    init(_ body: [UInt8]) throws(CallError) {
        guard let first = body.firstIndex(where: { !Self.isSpace($0) }) else { return }
        if body[first] == UInt8(ascii: "[") {
            try readArray(body, Self.document(body))
            return
        }
        // One object holding "events" is a batch; anything else is read line by line.
        // JSON Lines fail the one-document read at the second line, before the whole body is
        // checked for UTF-8 (a pass over every byte of a large batch).
        if body[first] == UInt8(ascii: "{"), let document = try? Self.read(body), document.isObject,
            document.members.contains(where: { key(body, $0) == "events" }), String(validating: body, as: UTF8.self) != nil
        {
            try readObject(body, document)
            return
        }
        try readLines(body)
    }

    /// The message for an error of the store about event `index` (1-based): the line for JSON
    /// Lines, the event's index in the array otherwise.
    func locate(_ error: any Error) -> any Error {
        guard let lines, case .invalidInput(let e, let index?) = error as? LedgerError,
            lines.indices.contains(index - 1)
        else { return error }
        return CallError.badInput("line \(lines[index - 1]): \(e)")
    }

    private static func read(_ body: [UInt8]) throws -> StrictJSON.Document {
        try body.withUnsafeBytes { p in try StrictJSON.read(p) }
    }

    private static func document(_ body: [UInt8]) throws(CallError) -> StrictJSON.Document {
        guard String(validating: body, as: UTF8.self) != nil else { throw .badInput("the batch is not UTF-8") }
        switch body.withUnsafeBytes({ p in Result { () throws(StrictJSON.SyntaxError) in try StrictJSON.read(p) } }) {
        case .success(let document):
            return document
        case .failure(let error):
            throw .badInput("the batch is not JSON (\(error.message)); give a JSON array of events, {\"events\": […], \"expect\": […]} or JSON Lines")
        }
    }

    private func key(_ body: [UInt8], _ member: StrictJSON.Member) -> String {
        String(decoding: body[member.keyStart..<member.keyEnd], as: UTF8.self)
    }

    /// Parses `ranges` of `body`, each an event (or, for JSON Lines, a line that may be blank),
    /// on every core with the importer's parser; the first bad one (in order) is the error.
    private mutating func add(_ ranges: [Range<Int>], of body: [UInt8]) throws(CallError) {
        for (i, result) in Ledger.parse(ranges[...], of: body).enumerated() {
            switch result {
            case .success(let parsed?):
                events.append(parsed.event)
                lines?.append(i + 1)
            case .success(nil):
                continue
            case .failure(let error):
                throw .badInput(lines == nil ? "event \(i + 1): \(error)" : "line \(i + 1): \(error)")
            }
        }
    }

    private mutating func readArray(_ body: [UInt8], _ document: StrictJSON.Document) throws(CallError) {
        for (i, element) in document.members.enumerated() where element.kind != .object {
            throw .badInput("event \(i + 1): line: not a JSON object")
        }
        try add(document.members.map { $0.valueStart..<$0.valueEnd }, of: body)
    }

    private mutating func readObject(_ body: [UInt8], _ document: StrictJSON.Document) throws(CallError) {
        for member in document.members {
            let value = Array(body[member.valueStart..<member.valueEnd])
            switch key(body, member) {
            case "events":
                guard member.kind == .array else { throw .badInput("\"events\" must be an array of events") }
                try readArray(value, Self.document(value))
            case "expect":
                try readExpectations(value)
            case let other:
                throw .badInput("unknown member \(JSONOutput.string(other).serialized()); a batch object has \"events\" and \"expect\"")
            }
        }
    }

    private mutating func readExpectations(_ bytes: [UInt8]) throws(CallError) {
        let usage = "give \"expect\" as [{\"campaign\": \"…\", \"contact\": \"…\" (optional), \"version\": N ≥ 0}]"
        guard let items = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [Any] else { throw .badInput(usage) }
        for item in items {
            guard let object = item as? [String: Any], let campaign = object["campaign"] as? String,
                let version = (object["version"] as? NSNumber).flatMap({ UInt64(exactly: $0.doubleValue) }),
                Set(object.keys).isSubset(of: ["campaign", "contact", "version"])
            else { throw .badInput(usage) }
            let contact = object["contact"] as? String
            expectations.append(StreamExpectation(campaign: campaign, contact: contact, version: version))
        }
    }

    private mutating func readLines(_ body: [UInt8]) throws(CallError) {
        lines = []
        try add(splitLines(body), of: body)
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }
}
