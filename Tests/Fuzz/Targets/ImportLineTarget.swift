import CampaignLedger

/// An import line: refused with a one-line `InputError` naming a field, or accepted; an accepted
/// line's export line re-imports to the same event (same canonical bytes, same fields), and its
/// stored record decodes to what was encoded.
enum ImportLineTarget {
    /// The export's own fields, fixed: position 1, a recordedAt with microseconds, a hash.
    static let recordedAtMicros: Int64 = 1_767_605_460_123_456
    static let hash = [UInt8](0..<32)
    static let salt = [UInt8](repeating: 0xA5, count: 16)

    static func run(_ data: [UInt8]) throws(FuzzViolation) {
        let parsed: ParsedLine?
        do {
            parsed = try EventLineParser.parse(data)
        } catch {
            try checkRefusal(error)
            return
        }
        guard let parsed else {
            guard data.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) else {
                throw FuzzViolation("a line that is not blank parsed to nothing")
            }
            return
        }
        try checkRoundTrip(parsed.event)
    }

    /// A refusal names a field and reads as one line (`ledger import` prints `FILE:LINE: field: message`;
    /// an unknown field's name is shown as a JSON string when it would not read as one, `""` included).
    static func checkRefusal(_ error: InputError) throws(FuzzViolation) {
        let shown = error.description.dropLast(error.message.count + 2)
        guard !error.message.isEmpty, !shown.isEmpty, error.description.hasSuffix(": " + error.message) else {
            throw FuzzViolation("refused without a field or a message: \(error)")
        }
        guard readsAsOneLine(error.description) else {
            throw FuzzViolation("refused with an error of several lines: \(excerpt(error.description))")
        }
    }

    /// The event as the ledger records it: a `contact.added` with an address gets a salt.
    static func recorded(_ e: Event) -> RecordedEvent {
        let salted = e.type == .contactAdded && e.address != nil
        return RecordedEvent(position: 1, recordedAtMicros: recordedAtMicros, event: e, addressSalt: salted ? salt : nil, hash: hash)
    }

    /// Export, re-import, compare; then the stored record's round trip.
    static func checkRoundTrip(_ event: Event) throws(FuzzViolation) {
        let first = recorded(event)
        let line = ExportLine.exportJSON(first)
        guard isOneLine(line) else { throw FuzzViolation("an export line with a line break: \(excerpt(line))") }
        let again: ParsedLine?
        do {
            again = try EventLineParser.parse(Array(line.utf8))
        } catch {
            throw FuzzViolation("the export line \(excerpt(line)) does not re-import: \(error)")
        }
        guard let again else { throw FuzzViolation("the export line \(excerpt(line)) re-imports as blank") }
        let second = recorded(again.event)
        guard ExportLine.canonicalBytes(first) == ExportLine.canonicalBytes(second) else {
            throw FuzzViolation("canonical bytes differ after export and re-import of \(excerpt(line))")
        }
        guard again.event == event else {
            throw FuzzViolation("the re-imported event differs from the imported one: \(excerpt(line))")
        }
        guard again.readOnly.position == 1, again.readOnly.hash == Hex.encode(hash),
            again.readOnly.recordedAt.flatMap({ try? RFC3339.parseNanos($0) }) == recordedAtMicros * 1000
        else {
            throw FuzzViolation("the export's position, recordedAt or hash do not read back: \(excerpt(line))")
        }
        let record = EventRecord.encode(first)
        guard (try? EventRecord.decode(record)) == first else {
            throw FuzzViolation("the stored record of \(excerpt(line)) does not decode to the event")
        }
    }
}
