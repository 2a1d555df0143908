import Foundation
import Testing

/// Runs one of the reliability harnesses in tools/ (Python 3, standard library) against the
/// built `ledger` binary, with figures as one JSON object on stdout.
enum Harness {
    static let python: String? = ["/usr/bin/python3", "/usr/local/bin/python3"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    static func run(_ script: String, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> CLIResult {
        let tool = CLI.packageRoot.appendingPathComponent("tools/\(script)").path
        // `prefix` puts the binary's path right after it: `python3 TOOL --ledger BINARY ARGS`.
        return try CLI.run(
            arguments + ["--json"], prefix: [try #require(python), tool, "--ledger"], timeout: 900,
            sourceLocation: sourceLocation)
    }
}

/// Reduced versions of `tools/crash_test.py` and `tools/concurrency_test.py`
/// (docs/reliability.md has the long runs).
@Suite(.enabled(if: Harness.python != nil, "needs python3"), .serialized, .timeLimit(.minutes(20)))
struct CLIReliabilityTests {
    /// kill -9 of an import (several transactions) and of concurrent appenders, four times: every
    /// acknowledged append is there, no batch is partial, verify passes, a fresh fold equals the
    /// active projections.
    @Test func killedImportsAndAppendsLoseNothing() throws {
        let r = try Harness.run("crash_test.py", [
            "--rounds", "4", "--seed", "7", "--contacts", "300", "--batch-size", "100", "--appenders", "2",
            "--max-delay", "0.8", "--rebuild-every", "2",
        ])
        #expect(r.status == 0, "\(r)")
        let figures = try r.json()
        #expect(figures["kills"].int == 4)
        #expect(figures["rounds"].int == 4)
        #expect((figures["acknowledged"].int ?? 0) > 0, "\(figures)")
        #expect(figures["rebuildChecks"].int == 2)
    }

    /// One process appends while others verify, export (chain recomputed), query, read history
    /// and rebuild: no error, no torn read, bounded file growth.
    @Test func readersAndARebuildRunWhileAProcessAppends() throws {
        let r = try Harness.run("concurrency_test.py", ["--seconds", "6", "--readers", "2", "--contacts", "200"])
        #expect(r.status == 0, "\(r)")
        let figures = try r.json()
        #expect((figures["verify"].int ?? 0) + (figures["export"].int ?? 0) > 0, "\(figures)")
        #expect((figures["importFiles"].int ?? 0) > 0, "\(figures)")
    }
}
