/// A JSON document as the ledger answers it: every `…JSON` query of `Ledger`, `statistics()`,
/// and the `json` of `VerifyReport`, `BuildSummary`, `RebuildSummary` and `HistoryEntry` — the
/// documents of interchange.md §3, the same the `ledger` command prints with `--json`. Objects
/// keep the order their members were given in, so answers read in the order the docs show them.
/// Read it with `serialized()` (compact text), `pretty()`, or the accessors (`self["key"]`,
/// `stringValue`, `intValue`, …).
public indirect enum JSONOutput: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    /// Already-serialized JSON text, written as is (e.g. a stored `meta` object).
    case raw(String)
    case array([JSONOutput])
    case object([(String, JSONOutput)])

    public static func == (lhs: JSONOutput, rhs: JSONOutput) -> Bool {
        lhs.serialized() == rhs.serialized()
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(serialized()) }

    /// Compact JSON text: no whitespace; strings escape only `"`, `\` and U+0000–U+001F.
    public func serialized() -> String {
        var out = ""
        write(to: &out)
        return out
    }

    /// Appends the compact text (`serialized()`) to `out`.
    public func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isFinite {
                out += d == d.rounded() && abs(d) < 1e15 ? String(format1: d) : "\(d)"
            } else {
                out += "null"
            }
        case .string(let s): JSONOutput.writeString(s, to: &out)
        case .raw(let text): out += text
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += "," }
                JSONOutput.writeString(key, to: &out)
                out += ":"
                value.write(to: &out)
            }
            out += "}"
        }
    }

    /// Writes `s` as a JSON string, escaping only `"`, `\` and U+0000–U+001F (`\u00xx`): the
    /// same escaping as export lines and canonical bytes (one writer, `JSONString.appendQuoted`).
    package static func writeString(_ s: String, to out: inout String) {
        JSONString.appendQuoted(s, to: &out)
    }

    /// Pretty text with two-space indentation, for people reading `--json` in a terminal.
    public func pretty(indent: String = "") -> String {
        switch self {
        case .array(let items) where !items.isEmpty:
            let inner = indent + "  "
            return "[\n" + items.map { inner + $0.pretty(indent: inner) }.joined(separator: ",\n")
                + "\n" + indent + "]"
        case .object(let members) where !members.isEmpty:
            let inner = indent + "  "
            return "{\n"
                + members.map { key, value in
                    var k = ""
                    JSONOutput.writeString(key, to: &k)
                    return inner + k + ": " + value.pretty(indent: inner)
                }.joined(separator: ",\n") + "\n" + indent + "}"
        default:
            return serialized()
        }
    }
}

extension String {
    /// `1.0`-style text for a whole-valued double (Python's json writes 2.0, not 2).
    fileprivate init(format1 d: Double) {
        self = String(Int64(d)) + ".0"
    }
}

extension JSONOutput {
    /// An object's member, or nil.
    public subscript(key: String) -> JSONOutput? {
        guard case .object(let members) = self else { return nil }
        return members.first(where: { $0.0 == key })?.1
    }

    /// Text for a table cell: strings bare, null as `–`, numbers as written.
    package var text: String {
        switch self {
        case .string(let s): s
        case .null: "–"
        case .double(let d): String(format1Digit: d)
        default: serialized()
        }
    }

    /// The string, or nil for any other value.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The integer, or nil for any other value.
    public var intValue: Int64? {
        if case .int(let i) = self { return i }
        return nil
    }

    /// The number (an integer too), or nil for any other value.
    public var doubleValue: Double? {
        switch self {
        case .double(let d): d
        case .int(let i): Double(i)
        default: nil
        }
    }

    /// The array's items, or nil for any other value.
    public var arrayValue: [JSONOutput]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The object's members in order, or nil for any other value.
    public var members: [(String, JSONOutput)]? {
        if case .object(let m) = self { return m }
        return nil
    }
}

extension String {
    fileprivate init(format1Digit d: Double) {
        let scaled = (d * 1000).rounded() / 1000
        self = "\(scaled)"
    }
}
