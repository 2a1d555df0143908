import Foundation
import Testing

/// What one run of the `ledger` binary gave.
struct CLIResult: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String

    var stdoutLines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }

    /// stdout parsed as one JSON document.
    func json(sourceLocation: SourceLocation = #_sourceLocation) throws -> JSON {
        try JSON.parse(stdout, sourceLocation: sourceLocation)
    }

    var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
}

/// Runs the built `ledger` executable (never the library directly).
enum CLI {
    /// The package root: this file is Tests/LedgerCLITests/CLISupport.swift.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `.build/debug/ledger`, else `.build/release/ledger`.
    static let binary: URL? = {
        for configuration in ["debug", "release"] {
            let url = packageRoot.appendingPathComponent(".build/\(configuration)/ledger")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }()

    /// Runs `ledger ARGS`, with `store` passed as `--store` when given, `environment` added to
    /// (and `LEDGER_STORE` removed from) this process's environment, `stdin` as standard input,
    /// in `directory` (default: a fresh temporary one, so `./ledger.lmdb` never lands in the repo).
    /// `prefix` runs the binary through another program (e.g. setpriv).
    /// A run that has not exited after `timeout` seconds is killed and fails the test.
    static func run(
        _ arguments: [String], store: String? = nil, environment: [String: String] = [:],
        stdin: String? = nil, directory: URL? = nil, prefix: [String] = [],
        timeout: Double = 300, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> CLIResult {
        let binary = try #require(binary, "build the package first: swift build (no .build/debug/ledger or .build/release/ledger)", sourceLocation: sourceLocation)
        let scratch = try TempDir()
        let process = Process()
        if prefix.isEmpty {
            process.executableURL = binary
            process.arguments = arguments + (store.map { ["--store", $0] } ?? [])
        } else {
            process.executableURL = URL(fileURLWithPath: prefix[0])
            process.arguments = Array(prefix.dropFirst()) + [binary.path] + arguments + (store.map { ["--store", $0] } ?? [])
        }
        var env = ProcessInfo.processInfo.environment
        env["LEDGER_STORE"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.currentDirectoryURL = directory ?? scratch.url
        let outURL = scratch.url.appendingPathComponent("stdout")
        let errURL = scratch.url.appendingPathComponent("stderr")
        let inURL = scratch.url.appendingPathComponent("stdin")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        FileManager.default.createFile(atPath: inURL.path, contents: Data((stdin ?? "").utf8))
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        let input = try FileHandle(forReadingFrom: inURL)
        defer {
            try? out.close()
            try? err.close()
            try? input.close()
        }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        try process.waitForExit(within: timeout, "ledger \(arguments.joined(separator: " "))")
        let stdout = String(decoding: try Data(contentsOf: outURL), as: UTF8.self)
        let stderr = String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
        return CLIResult(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }
}

extension Process {
    /// Waits for a started process to exit, at most `seconds`: past that it is killed and the
    /// wait throws, naming `what`, so a child that hangs fails its test instead of hanging it.
    func waitForExit(within seconds: Double, _ what: String) throws {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while isRunning && Date() < deadline { usleep(5_000) }
        guard isRunning else { return }
        kill(processIdentifier, SIGKILL)
        waitUntilExit()  // SIGKILL cannot be caught: the exit follows at once
        throw ChildTimeout(description: "\(what) did not exit within \(Int(seconds)) s; killed")
    }
}

/// A child process that did not exit in time.
struct ChildTimeout: Error, CustomStringConvertible { var description: String }

/// A fresh temporary directory, removed when the value goes away.
final class TempDir: @unchecked Sendable {
    let url: URL
    var path: String { url.path }

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("ledger-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A path inside the directory.
    func at(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `text` to `name` inside the directory and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let p = at(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }

    func read(_ name: String) throws -> String {
        String(decoding: try Data(contentsOf: url.appendingPathComponent(name)), as: UTF8.self)
    }

    deinit {
        // Undo `chmod -R a-w` of read-only tests so the directory can be removed.
        if let e = FileManager.default.enumerator(atPath: url.path) {
            for case let rel as String in e {
                try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.appendingPathComponent(rel).path)
            }
        }
        try? FileManager.default.removeItem(at: url)
    }
}

/// A parsed JSON value with convenient, test-friendly accessors.
struct JSON: Equatable, CustomStringConvertible {
    let value: Any?

    static func parse(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSON {
        do {
            return JSON(value: try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]))
        } catch {
            Issue.record("not one JSON document: \(text)", sourceLocation: sourceLocation)
            throw error
        }
    }

    subscript(_ key: String) -> JSON { JSON(value: (value as? [String: Any])?[key]) }
    subscript(_ index: Int) -> JSON {
        guard let a = value as? [Any], index >= 0, index < a.count else { return JSON(value: nil) }
        return JSON(value: a[index])
    }

    /// Whether the key is present (with any value, null included).
    func has(_ key: String) -> Bool { (value as? [String: Any])?[key] != nil }
    var isNull: Bool { value is NSNull }
    var isMissing: Bool { value == nil }
    var keys: Set<String> { Set((value as? [String: Any])?.keys.map { $0 } ?? []) }
    var count: Int? { (value as? [Any])?.count }
    var array: [JSON] { ((value as? [Any]) ?? []).map { JSON(value: $0) } }
    var string: String? { value as? String }
    var bool: Bool? { value as? Bool }
    var int: Int? {
        if let i = value as? Int { return i }
        if let n = value as? NSNumber { return n.intValue }
        return nil
    }
    var double: Double? {
        if let d = value as? Double { return d }
        if let n = value as? NSNumber { return n.doubleValue }
        return nil
    }
    /// An object of counts, e.g. `states` or `errorCodes`.
    var counts: [String: Int]? {
        guard let o = value as? [String: Any] else { return nil }
        var out: [String: Int] = [:]
        for (k, v) in o { guard let i = JSON(value: v).int else { return nil }; out[k] = i }
        return out
    }

    static func == (a: JSON, b: JSON) -> Bool { same(a.value, b.value) }

    /// Structural equality; numbers compare by value (JSON has one number type).
    private static func same(_ x: Any?, _ y: Any?) -> Bool {
        switch (x, y) {
        case (nil, nil): return true
        case (nil, _), (_, nil): return false
        case (is NSNull, is NSNull): return true
        case (let p as String, let q as String): return p == q
        case (let p as [String: Any], let q as [String: Any]):
            return p.count == q.count && p.allSatisfy { k, v in q[k].map { same(v, $0) } ?? false }
        case (let p as [Any], let q as [Any]):
            return p.count == q.count && zip(p, q).allSatisfy { same($0, $1) }
        default:
            guard let p = JSON(value: x).double, let q = JSON(value: y).double else { return false }
            return p == q
        }
    }

    var description: String {
        guard let value else { return "<missing>" }
        if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) {
            return String(decoding: data, as: UTF8.self)
        }
        return "\(value)"
    }
}
