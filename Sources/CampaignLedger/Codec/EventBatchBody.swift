import Foundation

/// A batch of events given at once, as `POST /v1/events` (http.md §2) and `ledger_append` take
/// it: a JSON array of events, an object `{"events": […], "expect": […]}`, or JSON Lines. Each
/// event is read by the parser of `ledger import` lines, on every core (`Ledger.parse`), so the
/// rules and messages are the same everywhere. What is wrong with a batch is a `Problem`; each
/// caller words it for its own interface (an HTTP status and body, a C error).
package struct EventBatchBody: Sendable {
    package var events: [Event] = []
    package var expectations: [StreamExpectation] = []
    /// For JSON Lines, the line number (1-based) of each event; nil for a JSON document.
    package var lines: [Int]?

    /// How the body is to be read.
    package enum Shape: Sendable {
        /// JSON Lines (blank lines skipped).
        case jsonLines
        /// One JSON document: an array of events or an object with `events` (and `expect`).
        case document
        /// A document when the body is an array, or an object holding `events`; JSON Lines
        /// otherwise.
        case either
    }

    package enum Problem: Error, Sendable, Equatable {
        /// A document that is not UTF-8.
        case notUTF8
        /// A document that is not JSON, with the reader's message.
        case notJSON(String)
        /// JSON, but neither an array nor an object.
        case notABatch
        /// An object without an `events` member.
        case noEvents
        case eventsNotAnArray
        case expectNotAnArray
        /// `expect[index]` (0-based) is not `{"campaign", "contact"?, "version"}`.
        case badExpectation(index: Int)
        case unknownMember(String)
        /// The element at `element` (1-based) of an array is not an object.
        case notAnObject(element: Int)
        /// An event does not parse: `index` is its 0-based place among the events (in an array,
        /// its element's); `line` its line (1-based) in JSON Lines, nil in a document.
        case badEvent(index: Int, line: Int?, InputError)
    }

    package init(_ body: [UInt8], shape: Shape) throws(Problem) {
        switch shape {
        case .jsonLines:
            try readLines(body)
        case .document:
            try readDocument(body)
        case .either:
            guard let first = body.firstIndex(where: { !Self.isSpace($0) }) else { return }
            if body[first] == UInt8(ascii: "[") {
                try readDocument(body)
            } else if body[first] == UInt8(ascii: "{"), let document = Self.batchObject(body) {
                try readDocument(body, document)
            } else {
                try readLines(body)
            }
        }
    }

    /// The body read as one JSON object when it is one with an `events` member; nil otherwise.
    /// JSON Lines fail the one-document read at their second line, before the whole body is
    /// checked for UTF-8 (a pass over every byte of a large batch).
    private static func batchObject(_ body: [UInt8]) -> StrictJSON.Document? {
        guard let document = try? body.withUnsafeBytes({ p in try StrictJSON.read(p) }), document.isObject,
            document.members.contains(where: { key(body, $0) == "events" }),
            String(validating: body, as: UTF8.self) != nil
        else { return nil }
        return document
    }

    private static func document(_ body: [UInt8]) throws(Problem) -> StrictJSON.Document {
        guard String(validating: body, as: UTF8.self) != nil else { throw .notUTF8 }
        switch body.withUnsafeBytes({ p in Result { () throws(StrictJSON.SyntaxError) in try StrictJSON.read(p) } }) {
        case .success(let document): return document
        case .failure(let error): throw .notJSON(error.message)
        }
    }

    private static func key(_ body: [UInt8], _ member: StrictJSON.Member) -> String {
        String(decoding: body[member.keyStart..<member.keyEnd], as: UTF8.self)
    }

    private mutating func readDocument(_ body: [UInt8], _ read: StrictJSON.Document? = nil) throws(Problem) {
        let document: StrictJSON.Document
        if let read { document = read } else { document = try Self.document(body) }
        guard document.isObject else {
            guard body.first(where: { !Self.isSpace($0) }) == UInt8(ascii: "[") else { throw .notABatch }
            try readArray(body, document)
            return
        }
        var sawEvents = false
        for member in document.members {
            let value = Array(body[member.valueStart..<member.valueEnd])
            switch Self.key(body, member) {
            case "events":
                guard member.kind == .array else { throw .eventsNotAnArray }
                try readArray(value, Self.document(value))
                sawEvents = true
            case "expect":
                guard member.kind == .array else { throw .expectNotAnArray }
                try readExpectations(value)
            case let other:
                throw .unknownMember(other)
            }
        }
        guard sawEvents else { throw .noEvents }
    }

    private mutating func readArray(_ body: [UInt8], _ document: StrictJSON.Document) throws(Problem) {
        for (i, element) in document.members.enumerated() where element.kind != .object {
            throw .notAnObject(element: i + 1)
        }
        try add(document.members.map { $0.valueStart..<$0.valueEnd }, of: body, lines: false)
    }

    private mutating func readLines(_ body: [UInt8]) throws(Problem) {
        lines = []
        try add(splitLines(body), of: body, lines: true)
    }

    /// Parses `ranges` of `body` (events, or lines that may be blank) on every core; the first bad
    /// one in order is the problem.
    private mutating func add(_ ranges: [Range<Int>], of body: [UInt8], lines: Bool) throws(Problem) {
        events.reserveCapacity(ranges.count)
        for (i, result) in Ledger.parse(ranges[...], of: body).enumerated() {
            switch result {
            case .success(let parsed?):
                events.append(parsed.event)
                if lines { self.lines?.append(i + 1) }
            case .success(nil):
                continue
            case .failure(let error):
                throw .badEvent(index: events.count, line: lines ? i + 1 : nil, error)
            }
        }
    }

    private mutating func readExpectations(_ bytes: [UInt8]) throws(Problem) {
        guard let items = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [Any] else { throw .expectNotAnArray }
        for (i, item) in items.enumerated() {
            guard let object = item as? [String: Any], let campaign = object["campaign"] as? String,
                let version = (object["version"] as? NSNumber).flatMap({ UInt64(exactly: $0.doubleValue) }),
                object.keys.allSatisfy(["campaign", "contact", "version"].contains)
            else { throw .badExpectation(index: i) }
            let contact = object["contact"].flatMap { $0 is NSNull ? nil : $0 as? String }
            expectations.append(StreamExpectation(campaign: campaign, contact: contact, version: version))
        }
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }
}
