import Foundation
import Testing
import CampaignLedger

/// A fresh ledger in a new temporary directory.
func makeLedger() throws -> Ledger {
    try Ledger(.init(path: newStorePath()))
}

/// A path for a new store (or file) that does not exist yet, inside `TestScratch.root`.
func newStorePath(_ prefix: String = "ledger-test") -> String {
    TestScratch.root + "/\(prefix)-\(UUID().uuidString)"
}

/// The one directory in the temporary directory that this test process writes into; it is
/// removed when the process exits, so a run leaves nothing behind (a `Ledger` keeps its store
/// open for as long as the process holds it, so stores cannot go one by one).
enum TestScratch {
    static let root: String = {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("campaign-ledger-tests-\(getpid())-\(UUID().uuidString.prefix(8))").path
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: TestScratch.root) }
        return dir
    }()
}

/// Parses one JSON line as a user would give it.
func event(_ json: String) throws -> Event {
    let bytes = Array(json.utf8)
    guard let parsed = try bytes.withUnsafeBytes({ try EventLineParser.parse($0) }) else {
        throw LedgerError.usage("blank line")
    }
    return parsed.event
}

/// JSON Lines bytes from lines.
func jsonl(_ lines: [String]) -> [UInt8] { Array((lines.joined(separator: "\n") + "\n").utf8) }

/// Every line of the ledger's export, in position order.
func exportLines(_ ledger: Ledger) throws -> [String] {
    var lines: [String] = []
    try ledger.export { lines.append($0) }
    return lines
}

/// An export line without the fields that differ between stores (recordedAt, hash, and the
/// random address salt with its digest).
func withoutAssigned(_ line: String) -> String {
    line.replacingOccurrences(of: #","recordedAt":"[^"]*""#, with: "", options: .regularExpression)
        .replacingOccurrences(of: #","hash":"[0-9a-f]*""#, with: "", options: .regularExpression)
        .replacingOccurrences(of: #","addressSalt":"[0-9a-f]*""#, with: "", options: .regularExpression)
        .replacingOccurrences(of: #","addressDigest":"[0-9a-f]*""#, with: "", options: .regularExpression)
}

/// A small, valid WhatsApp campaign: created, two contacts, started.
let campaignStart = [
    #"{"id":"e1","type":"campaign.created","campaign":"spring","channel":"whatsapp","at":"2026-11-20T08:00:00Z","name":"Spring"}"#,
    #"{"id":"e2","type":"contact.added","campaign":"spring","contact":"c1","address":"+420 601 234 567","at":"2026-11-20T08:00:01Z"}"#,
    #"{"id":"e3","type":"contact.added","campaign":"spring","contact":"c2","address":"(415) 286-0129","at":"2026-11-20T08:00:02Z"}"#,
    #"{"id":"e4","type":"campaign.started","campaign":"spring","at":"2026-11-20T08:01:00Z"}"#,
]

/// A wait that ran out of time.
struct TimedOut: Error, CustomStringConvertible {
    var description: String
}

/// Polls `condition` every 10 ms until it holds; after `seconds` throws `TimedOut` naming `what`.
func waitUntil(_ what: String, within seconds: Double, _ condition: () throws -> Bool) throws {
    let deadline = Date(timeIntervalSinceNow: seconds)
    while try !condition() {
        guard Date() < deadline else { throw TimedOut(description: "no \(what) within \(Int(seconds)) s") }
        usleep(10_000)
    }
}

/// Runs `body`, cancelled after `seconds`; then throws `TimedOut` naming `what`.
func withDeadline<R: Sendable>(
    _ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> R
) async throws -> R {
    try await withThrowingTaskGroup(of: R?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        let first = try await group.next()!
        group.cancelAll()
        guard let first else { throw TimedOut(description: "no \(what) within \(Int(seconds)) s") }
        return first
    }
}

/// The built `ledger` executable, as the CLI tests find it (`.build/debug/ledger`, else
/// `.build/release/ledger`); nil when the package has not been built.
let ledgerBinary: String? = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    return ["debug", "release"].map { root.appendingPathComponent(".build/\($0)/ledger").path }
        .first { FileManager.default.isExecutableFile(atPath: $0) }
}()
