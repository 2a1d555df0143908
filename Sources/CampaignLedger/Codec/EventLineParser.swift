/// Reads one JSON Lines input line into an event: every rule of interchange.md §1 that needs no
/// ledger state (syntax, field names, types, required fields, limits, times, enumerations).
/// Family, lifecycle, reference and duplicate checks need the ledger and happen later.
package enum EventLineParser {
    /// A line (without its LF; a CR counts) may hold at most 1 MiB.
    package static let maxLineBytes = 1 << 20
    /// `meta` may be at most 64 KiB written compactly, and nested at most 32 deep.
    package static let maxMetaBytes = 64 * 1024
    package static let maxMetaDepth = 32
    /// `attempt` is an integer 1 … 1,000,000.
    package static let maxAttempt = 1_000_000

    /// Parses a line given as bytes; see `parse(_: UnsafeRawBufferPointer)`.
    package static func parse(_ line: [UInt8]) throws(InputError) -> ParsedLine? {
        let result = line.withUnsafeBytes { p in
            Result { () throws(InputError) -> ParsedLine? in try parse(p) }
        }
        return try result.get()
    }

    /// Parses one line (without its LF). Returns nil for a blank line (only spaces, tabs and
    /// CRs), which input files may contain; throws the first problem found, in the order the
    /// reference model checks: size, byte-order mark, UTF-8, JSON syntax (repeated keys
    /// included), top-level object, lone surrogates, unknown fields, `type`, required fields,
    /// value types, string limits, times, integers, hex, `meta`, `channel`, `status`.
    package static func parse(_ p: UnsafeRawBufferPointer) throws(InputError) -> ParsedLine? {
        guard p.count <= maxLineBytes else {
            throw InputError(field: "line", message: "longer than 1 MiB (\(p.count) bytes)")
        }
        if isBlank(p) { return nil }
        if p.count >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF {
            throw InputError(field: "line", message: "starts with a UTF-8 byte-order mark")
        }
        guard UTF8Check.isValid(p) else { throw InputError(field: "line", message: "not UTF-8") }
        let document: StrictJSON.Document
        do {
            document = try StrictJSON.read(p)
        } catch {
            throw InputError(field: "line", message: "not JSON (\(error.message))")
        }
        guard document.isObject else { throw InputError(field: "line", message: "not a JSON object") }
        var line = Line(p: p, members: document.members)
        return try line.parse()
    }

    static func isBlank(_ p: UnsafeRawBufferPointer) -> Bool {
        for b in p where b != 0x20 && b != 0x09 && b != 0x0D { return false }
        return true
    }
}

/// The members of one line's object, read field by field.
private struct Line {
    let p: UnsafeRawBufferPointer
    let members: [StrictJSON.Member]
    /// Member index per `EventField`, -1 when the line does not carry it.
    var slot = [Int](repeating: -1, count: EventField.allCases.count)
    /// Fields to take: used by the type (or read-only) and not null.
    var taken = [Bool](repeating: false, count: EventField.allCases.count)

    init(p: UnsafeRawBufferPointer, members: [StrictJSON.Member]) {
        self.p = p
        self.members = members
    }

    func bytes(_ start: Int, _ end: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: p[start..<end])
    }

    func keyName(_ m: StrictJSON.Member) -> String {
        JSONString.string(bytes(m.keyStart, m.keyEnd), hasEscape: m.keyHasEscape)
    }

    func member(_ f: EventField) -> StrictJSON.Member? {
        let k = slot[f.rawValue]
        return k < 0 ? nil : members[k]
    }

    /// The decoded text of a taken string field.
    func text(_ f: EventField) -> String? {
        guard taken[f.rawValue], let m = member(f) else { return nil }
        return JSONString.string(bytes(m.valueStart + 1, m.valueEnd - 1), hasEscape: m.valueHasEscape)
    }

    mutating func parse() throws(InputError) -> ParsedLine {
        try mapFields()
        let type = try eventType()
        try takeFields(type)
        let strings = try checkedStrings()
        var event = Event(type: type, campaign: strings[EventField.campaign.rawValue]!,
                          at: strings[EventField.at.rawValue]!, atNanos: 0)
        event.atNanos = try instant(event.at, field: "at")
        var readOnly = ReadOnlyFields()
        if let recordedAt = strings[EventField.recordedAt.rawValue] {
            _ = try instant(recordedAt, field: "recordedAt")
            readOnly.recordedAt = recordedAt
        }
        if let m = takenMember(.attempt) {
            event.attempt = Int(try positiveInteger(m, field: "attempt", max: UInt64(EventLineParser.maxAttempt)))
        }
        if let m = takenMember(.position) {
            readOnly.position = try positiveInteger(m, field: "position", max: nil)
        }
        readOnly.hash = try hex(strings, .hash)
        readOnly.addressSalt = try hex(strings, .addressSalt)
        readOnly.addressDigest = try hex(strings, .addressDigest)
        readOnly.addressProblem = strings[EventField.addressProblem.rawValue]
        if let m = takenMember(.meta) { event.meta = try meta(m) }
        event.id = strings[EventField.id.rawValue]
        event.contact = strings[EventField.contact.rawValue]
        event.name = strings[EventField.name.rawValue]
        event.address = strings[EventField.address.rawValue]
        event.code = strings[EventField.code.rawValue]
        event.reason = strings[EventField.reason.rawValue]
        event.providerRef = strings[EventField.providerRef.rawValue]
        event.actor = strings[EventField.actor.rawValue]
        if let channel = strings[EventField.channel.rawValue] { event.channel = try self.channel(channel) }
        if let status = strings[EventField.status.rawValue] { event.status = try self.status(status) }
        if type == .contactAdded, event.address == nil {
            guard let digest = readOnly.addressDigest.flatMap(Hex.decode), digest.count == 32 else {
                throw InputError(
                    field: "addressDigest", message: "must be 64 hex digits (a contact.added without address is an erased one)")
            }
            event.erasedAddress = ErasedAddress(digest: digest, problem: readOnly.addressProblem)
        }
        return ParsedLine(event: event, readOnly: readOnly)
    }

    /// Lone surrogates first (they are not Unicode), then field names: an unknown one is
    /// usually a typo.
    mutating func mapFields() throws(InputError) {
        for m in members {
            if m.keyHasLoneSurrogate {
                throw InputError(field: "line", message: "a \\u escape leaves a lone surrogate (not Unicode)")
            }
            if m.valueHasLoneSurrogate {
                throw InputError(field: keyName(m), message: "a \\u escape leaves a lone surrogate (not Unicode)")
            }
        }
        for (k, m) in members.enumerated() {
            let field: EventField?
            if m.keyHasEscape {
                field = JSONString.decode(bytes(m.keyStart, m.keyEnd)).withUnsafeBytes { EventField(key: $0) }
            } else {
                field = EventField(key: bytes(m.keyStart, m.keyEnd))
            }
            guard let field else {
                throw InputError(field: keyName(m), message: "unknown field (a typo?); put extra data in meta")
            }
            slot[field.rawValue] = k
        }
    }

    func eventType() throws(InputError) -> EventType {
        guard let m = member(.type), m.kind != .null else { throw InputError(field: "type", message: "missing") }
        guard m.kind == .string else { throw InputError(field: "type", message: "must be a string") }
        let raw = bytes(m.valueStart + 1, m.valueEnd - 1)
        let found = m.valueHasEscape
            ? JSONString.decode(raw).withUnsafeBytes { Line.types.value(named: $0) } : Line.types.value(named: raw)
        guard let type = found else {
            let decoded = m.valueHasEscape ? JSONString.decode(raw) : Array(raw)
            throw InputError(field: "type", message: "unknown event type \(Echo.json(String(decoding: decoded, as: UTF8.self)))")
        }
        return type
    }

    /// Required fields, then which fields count: null means absent, and a field the type does not
    /// use is ignored without any check. Taken fields that must be strings are checked in the
    /// line's order.
    mutating func takeFields(_ type: EventType) throws(InputError) {
        for f in EventField.required(by: type) {
            // A `contact.added` whose address was erased carries its digest instead (docs/erasure.md).
            if f == .address, member(.address).map({ $0.kind == .null }) ?? true,
                let digest = member(.addressDigest), digest.kind != .null
            {
                continue
            }
            guard let m = member(f) else {
                throw InputError(field: f.name, message: "missing (required for \(type.rawValue))")
            }
            if m.kind == .null { throw InputError(field: f.name, message: "null (required for \(type.rawValue))") }
        }
        for (k, m) in members.enumerated() where m.kind != .null {
            guard let f = EventField.allCases.first(where: { slot[$0.rawValue] == k }),
                f.isUsed(by: type) || f.isReadOnly
            else { continue }
            taken[f.rawValue] = true
            if f.isString && m.kind != .string { throw InputError(field: f.name, message: "must be a string") }
        }
    }

    func takenMember(_ f: EventField) -> StrictJSON.Member? { taken[f.rawValue] ? member(f) : nil }

    /// Every taken string field decoded, with the byte limits and control-character rules of
    /// interchange.md §1 applied.
    func checkedStrings() throws(InputError) -> [String?] {
        var strings = [String?](repeating: nil, count: EventField.allCases.count)
        for f in EventField.allCases where f.isString { strings[f.rawValue] = text(f) }
        for limit in EventField.stringLimits {
            guard let s = strings[limit.field.rawValue] else { continue }
            let size = s.utf8.count
            if size < limit.min || size > limit.max {
                throw InputError(field: limit.field.name, message: limit.min > 0
                    ? "must be \(limit.min) to \(limit.max) bytes, is \(size)"
                    : "must be at most \(limit.max) bytes, is \(size)")
            }
            if limit.noControl && EventField.hasControl(s) {
                throw InputError(field: limit.field.name, message: "contains a control character")
            }
        }
        return strings
    }

    func instant(_ text: String, field: String) throws(InputError) -> Int64 {
        do {
            return try RFC3339.parseNanos(text)
        } catch {
            throw InputError(field: field, message: error.message)
        }
    }

    /// A JSON number without fraction or exponent, ≥ 1 (and ≤ `max`): `1.0`, `2e0` and `true`
    /// are not integers here.
    func positiveInteger(_ m: StrictJSON.Member, field: String, max: UInt64?) throws(InputError) -> UInt64 {
        // The messages are made only for a bad value: most lines have a good one.
        var rule: String { "must be an integer ≥ 1" + (max.map { " and ≤ \(Line.grouped(String($0)))" } ?? "") }
        guard m.kind == .number, m.flag, p[m.valueStart] != UInt8(ascii: "-") else {
            throw InputError(field: field, message: rule)
        }
        let digits = bytes(m.valueStart, m.valueEnd)
        var value: UInt64 = 0
        var overflow = false
        for d in digits where !overflow {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(d &- 0x30))
            value = sum
            overflow = o1 || o2
        }
        var text: String { Line.grouped(String(decoding: digits, as: UTF8.self)) }
        guard !(value == 0 && !overflow) else { throw InputError(field: field, message: rule) }
        if let max, overflow || value > max {
            throw InputError(field: field, message: "must be at most \(Line.grouped(String(max))), is \(text)")
        }
        if overflow {
            throw InputError(field: field, message: "must be at most \(Line.grouped(String(UInt64.max))), is \(text)")
        }
        return value
    }

    /// Digits with thousands separators: 1000000 → 1,000,000.
    static func grouped(_ digits: String) -> String {
        var out = ""
        for (k, c) in digits.enumerated() {
            if k > 0 && (digits.count - k) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }

    /// A read-only hex field: one or more hex digits, either case.
    func hex(_ strings: [String?], _ f: EventField) throws(InputError) -> String? {
        guard let s = strings[f.rawValue] else { return nil }
        guard !s.isEmpty, s.utf8.allSatisfy({ Hex.value(of: $0) != nil }) else {
            throw InputError(field: f.name, message: "must be hex")
        }
        return s
    }

    /// `meta`: an object nested at most 32 deep (itself 1) and at most 64 KiB written compactly;
    /// stored as its compact received text.
    func meta(_ m: StrictJSON.Member) throws(InputError) -> String {
        guard m.kind == .object else { throw InputError(field: "meta", message: "must be a JSON object") }
        guard m.depth <= EventLineParser.maxMetaDepth else {
            throw InputError(field: "meta", message: "nested \(m.depth) deep, at most \(EventLineParser.maxMetaDepth) allowed")
        }
        let (text, size) = MetaText.compact(bytes(m.valueStart, m.valueEnd))
        guard size <= EventLineParser.maxMetaBytes else {
            throw InputError(field: "meta", message: "\(size) bytes when serialized compactly, at most 64 KiB allowed")
        }
        return text
    }

    static let types = RawValueTable(EventType.allCases)
    static let states = RawValueTable(ContactState.allCases)

    func channel(_ s: String) throws(InputError) -> Channel {
        guard let c = Channel.allCases.first(where: { $0.rawValue.utf8.elementsEqual(s.utf8) }) else {
            throw InputError(field: "channel", message: "unknown channel \(Echo.json(s)); use whatsapp, sms or telephone")
        }
        return c
    }

    /// A state id of either family (`successfully_submitted` included), but not one that only
    /// `contact.added`/`contact.removed` produce. Whether it fits the campaign's family is a
    /// ledger check.
    func status(_ s: String) throws(InputError) -> ContactState {
        var text = s
        guard let state = text.withUTF8({ Line.states.value(named: UnsafeRawBufferPointer($0)) }) else {
            throw InputError(field: "status", message: "unknown status \(Echo.json(s))")
        }
        switch state {
        case .initial, .invalidRecord, .removed:
            throw InputError(field: "status", message: "\(s) comes only from contact.added or contact.removed")
        default:
            return state
        }
    }
}

/// The cases of a string enumeration by their raw values' UTF-8 bytes: a lookup compares bytes
/// (no Unicode normalization, no `String` made per candidate).
struct RawValueTable<Value: RawRepresentable & Sendable>: Sendable where Value.RawValue == String {
    private let entries: [(name: [UInt8], value: Value)]

    init(_ values: [Value]) {
        entries = values.map { (Array($0.rawValue.utf8), $0) }
    }

    func value(named bytes: UnsafeRawBufferPointer) -> Value? {
        for entry in entries where entry.name.count == bytes.count && entry.name.elementsEqual(bytes) {
            return entry.value
        }
        return nil
    }
}
