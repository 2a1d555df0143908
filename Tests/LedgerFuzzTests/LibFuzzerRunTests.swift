import Foundation
import LedgerFuzzTargets
import Testing

/// A short libFuzzer run of every target (`tools/fuzz.sh --libfuzzer TARGET SECONDS`): the
/// sanitizer build in `.build-fuzz` and `LEDGER_LIBFUZZER_SECONDS` seconds of each. Runs when
/// that variable is set above 0 (`.ci/run` sets it, and builds the fuzzer before the tests: the
/// build alone takes minutes) and the toolchain can link `-sanitize=fuzzer`; skipped with the
/// reason otherwise.
@Suite(.serialized, .enabled(if: FuzzScript.seconds != nil, "set LEDGER_LIBFUZZER_SECONDS=N to fuzz each target N seconds (.ci/run sets 20)"))
struct LibFuzzerRunTests {
    /// The first run builds the fuzzer (minutes on a cold `.build-fuzz`).
    @Test(
        .enabled(if: FuzzScript.available, "swiftc -sanitize=fuzzer,address cannot link on this toolchain (no libFuzzer runtime)"),
        .timeLimit(.minutes(60)), arguments: FuzzTarget.allCases)
    func shortRunFindsNoCrash(_ target: FuzzTarget) {
        let seconds = FuzzScript.seconds ?? 20
        let run = FuzzScript.run(["--libfuzzer", target.rawValue, String(seconds)], timeout: Double(seconds) + 3000)
        let tail = run.output.split(separator: "\n").suffix(30).joined(separator: "\n")
        #expect(run.status == 0, "tools/fuzz.sh --libfuzzer \(target.rawValue) \(seconds) exited \(run.status):\n\(tail)")
        let executions = run.output.split(separator: "\n").first { $0.hasPrefix("stat::number_of_executed_units:") }
        #expect(executions != nil, "no libFuzzer statistics in the output:\n\(tail)")
        print("libfuzzer: \(target.rawValue): \(executions.map { String($0) } ?? "?") in \(seconds) s")
    }
}

/// tools/fuzz.sh, as the tests run it.
enum FuzzScript {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// Seconds per target; nil when unset or 0 (libFuzzer's `-max_total_time=0` would never stop).
    static let seconds = ProcessInfo.processInfo.environment["LEDGER_LIBFUZZER_SECONDS"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
    static let available = seconds != nil && run(["--libfuzzer", "--check"], timeout: 300).status == 0

    /// Runs tools/fuzz.sh, output to a file (no pipe to fill); kills it after `timeout` seconds.
    static func run(_ arguments: [String], timeout: Double) -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-fuzz-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        guard let handle = try? FileHandle(forWritingTo: log) else { return (-1, "cannot write \(log.path)") }
        let p = Process()
        p.executableURL = root.appendingPathComponent("tools/fuzz.sh")
        p.arguments = arguments
        p.currentDirectoryURL = root
        p.standardOutput = handle
        p.standardError = handle
        do { try p.run() } catch { return (-1, "cannot run tools/fuzz.sh: \(error)") }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        if p.isRunning {
            p.terminate()
            p.waitUntilExit()
            return (-2, "tools/fuzz.sh \(arguments.joined(separator: " ")) ran past \(Int(timeout)) s")
        }
        try? handle.close()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return (p.terminationStatus, output)
    }
}
