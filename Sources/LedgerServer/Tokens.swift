import Foundation
import Synchronization

/// What a request may do (http.md §1).
public enum Scope: String, Sendable, CaseIterable {
    case read, append, admin
}

/// The bearer tokens of `--tokens FILE`: one per line, `TOKEN SCOPE[,SCOPE…]`, `#` comments.
struct TokenTable: Sendable {
    struct Entry: Sendable {
        var token: [UInt8]
        var scopes: Set<Scope>
    }
    var entries: [Entry]

    /// Reads and checks the file; an error names the line.
    init(contentsOf path: String) throws(TokenFileError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenFileError(message: "cannot read the tokens file \(path)")
        }
        try self.init(text: String(decoding: data, as: UTF8.self), path: path)
    }

    init(text: String, path: String) throws(TokenFileError) {
        entries = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(raw)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if words.isEmpty { continue }
            guard words.count == 2 else {
                throw TokenFileError(message: "\(path):\(number + 1): expected `TOKEN SCOPE[,SCOPE…]`")
            }
            var scopes: Set<Scope> = []
            for name in words[1].split(separator: ",") {
                guard let scope = Scope(rawValue: String(name)) else {
                    throw TokenFileError(message: "\(path):\(number + 1): unknown scope \(name); scopes are read, append, admin")
                }
                scopes.insert(scope)
            }
            entries.append(Entry(token: Array(words[0].utf8), scopes: scopes))
        }
    }

    /// The scopes of `token`, or nil when it is unknown. Every entry is compared, each in time
    /// that depends only on the lengths, so the answer's timing does not tell how much of a
    /// guess matched.
    func scopes(of token: some Collection<UInt8>) -> Set<Scope>? {
        let given = Array(token)
        var found: Set<Scope>?
        for entry in entries where Self.constantTimeEqual(given, entry.token) {
            found = entry.scopes
        }
        return found
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        let n = max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            difference |= x ^ y
        }
        return difference == 0 && a.count == b.count
    }
}

/// A tokens file that cannot be used: the message names the file and line.
public struct TokenFileError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Who may do what: every scope without `--tokens`, else the current token table, which SIGHUP
/// replaces (a file that no longer parses keeps the previous table and is logged).
final class Authorizer: Sendable {
    let path: String?
    private let table: Mutex<TokenTable?>

    init(path: String?) throws(TokenFileError) {
        self.path = path
        table = Mutex(try path.map { path throws(TokenFileError) in try TokenTable(contentsOf: path) })
    }

    var isOpen: Bool { path == nil }

    func reload() throws(TokenFileError) {
        guard let path else { return }
        let fresh = try TokenTable(contentsOf: path)
        table.withLock { $0 = fresh }
    }

    /// The scopes of the request's `Authorization` header: every scope without tokens; nil for
    /// a missing, malformed or unknown token.
    func scopes(authorization: String?) -> Set<Scope>? {
        guard path != nil else { return Set(Scope.allCases) }
        guard let authorization else { return nil }
        let prefix = "bearer "
        guard authorization.utf8.count > prefix.utf8.count,
            authorization.prefix(prefix.count).lowercased() == prefix
        else { return nil }
        let token = authorization.utf8.dropFirst(prefix.utf8.count)
        return table.withLock { $0?.scopes(of: token) }
    }
}
