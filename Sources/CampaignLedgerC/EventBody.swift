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
        if body[first] == UInt8(ascii: "{"), String(validating: body, as: UTF8.self) != nil,
            let document = try? Self.read(body), document.isObject,
            document.members.contains(where: { key(body, $0) == "events" })
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

    private mutating func add(_ bytes: ArraySlice<UInt8>, event index: Int) throws(CallError) {
        do throws(InputError) {
            if let parsed = try EventLineParser.parse(Array(bytes)) { events.append(parsed.event) }
        } catch {
            throw .badInput(lines == nil ? "event \(index): \(error)" : "line \(index): \(error)")
        }
    }

    private mutating func readArray(_ body: [UInt8], _ document: StrictJSON.Document) throws(CallError) {
        for (i, element) in document.members.enumerated() {
            guard element.kind == .object else { throw .badInput("event \(i + 1): line: not a JSON object") }
            try add(body[element.valueStart..<element.valueEnd], event: i + 1)
        }
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
        var start = 0
        var number = 1
        while start < body.count {
            let end = body[start...].firstIndex(of: 0x0A) ?? body.count
            let before = events.count
            try add(body[start..<end], event: number)
            if events.count > before { lines?.append(number) }
            start = end + 1
            number += 1
        }
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }
}
