/// The coverage-guided fuzz targets (issue #19): each takes arbitrary bytes and checks the
/// invariants of the code that reads them, not only that it does not crash. A broken invariant
/// is a `FuzzViolation`; the libFuzzer driver (`LedgerFuzz`) turns it into a crash libFuzzer
/// saves, the tests replay the corpus (`Tests/Fuzz/corpus/<target>/`) through the same code.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// One JSON Lines input line (`EventLineParser`, `ExportLine`).
    case importLine = "import-line"
    /// One stored event record (`EventRecord.decode`, the export and fold of what decodes).
    case storedRecord = "stored-record"
    /// A WhatsApp Cloud API webhook body, signed with `X-Hub-Signature-256`.
    case meta
    /// A Twilio StatusCallback: the first line is the callback URL's query, the rest the form.
    case twilio
    /// An Infobip delivery or seen report, with the bearer token.
    case infobip
    /// A Vonage Messages status webhook, with its HS256 JWT.
    case vonage
    /// The query string of a read route (`QueryParameters`).
    case query

    /// Runs one input; throws `FuzzViolation` when an invariant does not hold.
    package func run(_ data: [UInt8]) throws(FuzzViolation) {
        switch self {
        case .importLine: try ImportLineTarget.run(data)
        case .storedRecord: try StoredRecordTarget.run(data)
        case .meta, .twilio, .infobip, .vonage: try CallbackTarget.run(data, provider: self)
        case .query: try QueryTarget.run(data)
        }
    }
}

/// An invariant that did not hold, in words.
package struct FuzzViolation: Error, Sendable, CustomStringConvertible {
    package var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A text that is one line of JSON Lines: no line feed or carriage return.
func isOneLine(_ text: String) -> Bool {
    !text.utf8.contains { $0 == 0x0A || $0 == 0x0D }
}

/// A message that reads as one line in a terminal or a log: no control character (C0, DEL, C1:
/// U+0085 is a line break too) and no Unicode line or paragraph separator.
func readsAsOneLine(_ text: String) -> Bool {
    !text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x2028 || $0.value == 0x2029 }
}

/// At most `max` characters of `text`, for a violation's message.
func excerpt(_ text: String, _ max: Int = 200) -> String {
    text.count <= max ? text : String(text.prefix(max)) + "…"
}
