/// A bad input line: `field` says where (a JSON field name, or `line` for the line as a whole)
/// and `message` what is wrong and why. `ledger import` prints `FILE:LINE: field: message`.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    /// `field: message`; a field name that would not read as one (empty, or with spaces, quotes
    /// or control characters) is shown as a JSON string.
    public var description: String {
        let plain = !field.isEmpty && field.unicodeScalars.allSatisfy { $0.value > 0x20 && $0 != "\"" && $0 != ":" && !Echo.breaks($0) }
        return plain ? "\(field): \(message)" : "\(Echo.json(field)): \(message)"
    }
}

/// Input that a message repeats (an unknown type, status or key), shown so that the message
/// reads as one line whatever the input holds: a line break or control character in it must not
/// split `FILE:LINE: field: message`, a log line or a parked reason.
enum Echo {
    /// As a JSON string: quoted, with `"`, `\`, the control characters (C0 and C1) and the
    /// Unicode line and paragraph separators escaped (`\u0085`, `\u2028`).
    static func json(_ text: String) -> String {
        var out = ""
        for scalar in JSONOutput.string(text).serialized().unicodeScalars {
            if breaks(scalar) {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// In single quotes when it is plain text (`'deleted'`), else as `json` (`"a\nb"`).
    static func quoted(_ text: String) -> String {
        text.unicodeScalars.allSatisfy { $0 != "'" && !breaks($0) } ? "'\(text)'" : json(text)
    }

    /// A control character (Unicode category Cc) or a line or paragraph separator.
    static func breaks(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}
