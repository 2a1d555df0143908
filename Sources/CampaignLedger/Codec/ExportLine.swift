/// Export lines, canonical bytes and the hash chain (interchange.md §1, DESIGN.md §3,
/// docs/format.md "Hash chain").
package enum ExportLine {
    /// The export line of a recorded event (no LF): the present input fields in the order of
    /// interchange.md §1's table (type, campaign, at, id, contact, channel, name, address,
    /// status, attempt, code, reason, providerRef, actor, meta), on `contact.added` `addressSalt`
    /// and `addressDigest` right after `address` (of an erased address, `addressDigest` and,
    /// when it was not dialable, `addressProblem` in its place), then `position`, `recordedAt` (UTC, 6 fraction
    /// digits) and `hash` (lowercase hex). Compact; strings escape only `"`, `\` and
    /// U+0000–U+001F; `meta` is its stored compact text.
    package static func exportJSON(_ r: RecordedEvent) -> String {
        var out = fields(r, canonical: false)
        out.append(contentsOf: #","hash":""#.utf8)
        Hex.append(r.hash, to: &out)
        out.append(contentsOf: #""}"#.utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// The members of `exportJSON(r)` as a JSON object, in the same order and with the same
    /// values (answers that embed an event as exported, e.g. `history`, build on it). Both walk
    /// the one list of fields, `visitFields`.
    package static func exportMembers(_ r: RecordedEvent) -> [(String, JSONOutput)] {
        var members = MemberList()
        members.items.reserveCapacity(20)
        visitFields(r, canonical: false, into: &members)
        members.items.append(("hash", .string(Hex.encode(r.hash))))
        return members.items
    }

    /// The canonical bytes of a recorded event: its export line without `hash`, with `address`
    /// and `addressSalt` replaced by `addressDigest` (so an erased address leaves the chain
    /// verifiable).
    package static func canonicalBytes(_ r: RecordedEvent) -> [UInt8] {
        var out = fields(r, canonical: true)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// digest(n) = SHA-256(canonical bytes of event n).
    package static func digest(_ r: RecordedEvent) -> [UInt8] {
        SHA256Digest.hash(canonicalBytes(r))
    }

    /// hash(n) = SHA-256(hash(n−1) ‖ digest(n)); hash(0) is 32 zero bytes (`genesis`).
    package static func chain(previous: [UInt8], digest: [UInt8]) -> [UInt8] {
        SHA256Digest.hash(previous, digest)
    }

    /// hash(0): 32 zero bytes.
    package static let genesis = [UInt8](repeating: 0, count: 32)

    /// addressDigest = SHA-256(salt ‖ UTF-8 of the address), as lowercase hex.
    package static func addressDigest(salt: [UInt8], address: String) -> String {
        SHA256Digest.withDigest(of: salt, Array(address.utf8)) { Hex.encode($0) }
    }

    /// `{` and every member up to `recordedAt`, without the closing brace.
    static func fields(_ r: RecordedEvent, canonical: Bool) -> [UInt8] {
        var text = FieldText()
        text.out.reserveCapacity(256 + (r.event.meta?.utf8.count ?? 0))
        text.out.append(UInt8(ascii: "{"))
        visitFields(r, canonical: canonical, into: &text)
        return text.out
    }

    /// The export fields of a recorded event up to `recordedAt`, in export order: the one list
    /// behind export lines, canonical bytes and `exportMembers`. `canonical` replaces `address`
    /// (and `addressSalt`) by `addressDigest`.
    @inline(__always)
    static func visitFields<Sink: ExportFieldSink>(_ r: RecordedEvent, canonical: Bool, into sink: inout Sink) {
        let e = r.event
        func string(_ name: StaticString, _ value: String?) {
            if let value { sink.string(name, value) }
        }
        string("type", e.type.rawValue)
        string("campaign", e.campaign)
        string("at", e.at)
        string("id", e.id)
        string("contact", e.contact)
        string("channel", e.channel?.rawValue)
        string("name", e.name)
        if let erased = e.erasedAddress {
            // Erased (docs/erasure.md): the digest the chain always covered, and, outside the
            // canonical bytes, whether the address was dialable.
            string("addressDigest", Hex.encode(erased.digest))
            if !canonical { string("addressProblem", erased.problem) }
        } else if let address = e.address {
            if canonical {
                string("addressDigest", addressDigest(salt: r.addressSalt ?? [], address: address))
            } else {
                string("address", address)
                if e.type == .contactAdded, let salt = r.addressSalt {
                    string("addressSalt", Hex.encode(salt))
                    string("addressDigest", addressDigest(salt: salt, address: address))
                }
            }
        }
        string("status", e.status?.rawValue)
        if let attempt = e.attempt { sink.int("attempt", UInt64(attempt)) }
        string("code", e.code)
        string("reason", e.reason)
        string("providerRef", e.providerRef)
        string("actor", e.actor)
        if let meta = e.meta { sink.raw("meta", meta) }
        sink.int("position", r.position)
        sink.recordedAt(r.recordedAtMicros)
    }

    /// The CSV columns of `ledger export --format csv`, each with its cell of a recorded event
    /// (nil: empty): the one list behind the header and the rows.
    private static let csvCells: [(column: String, cell: @Sendable (RecordedEvent) -> String?)] = [
        ("position", { String($0.position) }),
        ("recordedAt", { RFC3339.formatMicros($0.recordedAtMicros) }),
        ("type", { $0.event.type.rawValue }),
        ("campaign", { $0.event.campaign }),
        ("contact", { $0.event.contact }),
        ("at", { $0.event.at }),
        ("id", { $0.event.id }),
        ("status", { $0.event.status?.rawValue }),
        ("attempt", { $0.event.attempt.map { String($0) } }),
        ("code", { $0.event.code }),
        ("reason", { $0.event.reason }),
        ("providerRef", { $0.event.providerRef }),
        ("actor", { $0.event.actor }),
        ("channel", { $0.event.channel?.rawValue }),
        ("name", { $0.event.name }),
        ("address", { $0.event.address }),
        ("meta", { $0.event.meta }),
        ("hash", { Hex.encode($0.hash) }),
    ]

    /// The CSV columns of `ledger export --format csv`.
    package static let csvColumns = csvCells.map(\.column)

    /// The CSV header line (no line break; RFC 4180 rows end with CRLF).
    package static var csvHeader: String { csvColumns.joined(separator: ",") }

    /// One CSV row (no line break) in `csvColumns` order; absent fields are empty. A field is
    /// quoted (RFC 4180) when it holds a comma, a quote, CR or LF; quotes inside are doubled.
    package static func csvRow(_ r: RecordedEvent) -> String {
        csvCells.map { csvField($0.cell(r) ?? "") }.joined(separator: ",")
    }

    /// A CSV field, quoted when needed (RFC 4180).
    static func csvField(_ s: String) -> String {
        let needsQuotes = s.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else { return s }
        var out = "\""
        for c in s.unicodeScalars {
            if c == "\"" { out.unicodeScalars.append("\"") }
            out.unicodeScalars.append(c)
        }
        out.unicodeScalars.append("\"")
        return out
    }
}

/// What receives the fields of `ExportLine.visitFields`.
protocol ExportFieldSink {
    mutating func string(_ name: StaticString, _ value: String)
    mutating func int(_ name: StaticString, _ value: UInt64)
    /// Already-serialized JSON (the stored `meta`).
    mutating func raw(_ name: StaticString, _ text: String)
    mutating func recordedAt(_ micros: Int64)
}

/// Writes the fields as compact JSON members, each preceded by a comma but the first.
private struct FieldText: ExportFieldSink {
    var out: [UInt8] = []
    var first = true

    mutating func key(_ name: StaticString) {
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    mutating func string(_ name: StaticString, _ value: String) {
        key(name)
        JSONString.appendQuoted(value.utf8, to: &out)
    }

    mutating func int(_ name: StaticString, _ value: UInt64) {
        key(name)
        out.append(contentsOf: String(value).utf8)
    }

    mutating func raw(_ name: StaticString, _ text: String) {
        key(name)
        out.append(contentsOf: text.utf8)
    }

    mutating func recordedAt(_ micros: Int64) {
        key("recordedAt")
        out.append(UInt8(ascii: "\""))
        RFC3339.appendMicros(micros, to: &out)
        out.append(UInt8(ascii: "\""))
    }
}

/// Collects the fields as `JSONOutput` members.
private struct MemberList: ExportFieldSink {
    var items: [(String, JSONOutput)] = []

    mutating func string(_ name: StaticString, _ value: String) { items.append(("\(name)", .string(value))) }
    mutating func int(_ name: StaticString, _ value: UInt64) { items.append(("\(name)", .int(Int64(clamping: value)))) }
    mutating func raw(_ name: StaticString, _ text: String) { items.append(("\(name)", .raw(text))) }
    mutating func recordedAt(_ micros: Int64) {
        items.append(("recordedAt", .string(RFC3339.formatMicros(micros))))
    }
}
