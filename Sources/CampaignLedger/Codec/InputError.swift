/// A bad input line: `field` says where (a JSON field name, or `line` for the line as a whole)
/// and `message` what is wrong and why. `ledger import` prints `FILE:LINE: field: message`.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}
