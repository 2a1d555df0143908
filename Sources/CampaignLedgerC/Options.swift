import CampaignLedger
import Foundation
import Logging

/// A JSON object of options (`ledger_open`, `ledger_import_file`, `ledger_rebuild`): NULL or
/// empty is `{}`; an unknown name is an error, since it is usually a typo.
struct Options {
    private let values: [String: Any]
    private let call: String

    init(_ p: UnsafePointer<CChar>?, call: String, known: Set<String>) throws(CallError) {
        self.call = call
        guard let text = try optionalText(p, "\(call) options"), !text.allSatisfy(\.isWhitespace) else {
            values = [:]
            return
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw .usage("\(call) options are a JSON object, e.g. {\(known.sorted().map { "\"\($0)\"" }.joined(separator: ", "))}")
        }
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw .usage("\(call) options: unknown option \"\(unknown)\"; known: \(known.sorted().joined(separator: ", "))")
        }
        values = object
    }

    func bool(_ name: String, _ fallback: Bool) throws(CallError) -> Bool {
        guard let value = values[name] else { return fallback }
        guard let b = value as? Bool else { throw .usage("\(call) options: \"\(name)\" is true or false") }
        return b
    }

    func int(_ name: String, in range: ClosedRange<Int>) throws(CallError) -> Int? {
        guard let value = values[name] else { return nil }
        guard let i = value as? Int, range.contains(i) else {
            throw .usage("\(call) options: \"\(name)\" is a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return i
    }

    func string(_ name: String) throws(CallError) -> String? {
        guard let value = values[name] else { return nil }
        guard let s = value as? String else { throw .usage("\(call) options: \"\(name)\" is a string") }
        return s
    }
}

/// How `ledger_open` opens: `create` (default true), `catchUp` (default true: bring lagging
/// builds up to date; false for a process that only reads and never writes), `mapSize` (bytes),
/// `logLevel` (to standard error; by default the library logs nothing).
func configuration(path: String, options: Options) throws(CallError) -> Ledger.Configuration {
    var logger = Logger(label: "campaign-ledger") { _ in SwiftLogNoOpLogHandler() }
    if let name = try options.string("logLevel") {
        guard let level = Logger.Level(rawValue: name) else {
            throw .usage("ledger_open options: \"logLevel\" is one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        logger = Logger(label: "campaign-ledger", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = level
    }
    var configuration = Ledger.Configuration(path: path, createIfMissing: try options.bool("create", true), logger: logger)
    if let mapSize = try options.int("mapSize", in: (1 << 20)...(1 << 46)) { configuration.mapSize = mapSize }
    configuration.catchUpOnOpen = try options.bool("catchUp", true)
    return configuration
}
