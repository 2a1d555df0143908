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
        let plain = !field.isEmpty && field.unicodeScalars.allSatisfy { $0.value > 0x20 && $0 != "\"" && $0 != ":" && $0.value != 0x7F }
        return plain ? "\(field): \(message)" : "\(JSONOutput.string(field).serialized()): \(message)"
    }
}
