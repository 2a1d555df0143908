import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The package root: this file is Tests/LedgerServerTests/ServerSupport.swift.
let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// `.build/debug/ledger`, else `.build/release/ledger`: the tests run the built command.
let ledgerBinary: URL? = ["debug", "release"]
    .map { packageRoot.appendingPathComponent(".build/\($0)/ledger") }
    .first { FileManager.default.isExecutableFile(atPath: $0.path) }

/// A fresh directory under the temporary directory, removed by `remove()`.
final class Scratch: @unchecked Sendable {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func write(_ name: String, _ text: String) throws -> String {
        let p = path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }
    func remove() { try? FileManager.default.removeItem(at: url) }
    deinit { remove() }
}

/// Runs `ledger ARGS` to completion: its exit status, stdout and stderr.
func ledger(_ arguments: [String], stdin: String = "") throws -> (status: Int32, out: String, err: String) {
    let binary = try #require(ledgerBinary, "build the package first: swift build")
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["LEDGER_STORE"] = nil
    process.environment = env
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    input.fileHandleForWriting.write(Data(stdin.utf8))
    try input.fileHandleForWriting.close()
    // Read both pipes to the end before waiting, so a large output cannot block the child.
    let errData = Mutex2<Data>(Data())
    let errThread = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
    errThread.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !errData.isSet { usleep(1000) }
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData.value, as: UTF8.self))
}

/// A value set once from another thread.
final class Mutex2<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    private var wasSet = false
    init(_ value: T) { stored = value }
    func set(_ value: T) { lock.lock(); stored = value; wasSet = true; lock.unlock() }
    func update(_ change: (inout T) -> Void) { lock.lock(); change(&stored); lock.unlock() }
    var value: T { lock.lock(); defer { lock.unlock() }; return stored }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return wasSet }
}

/// A running `ledger serve` on a loopback port of its own (`--listen 127.0.0.1:0`; the port is
/// read from its first line of output). Stopped by pid.
final class Server: @unchecked Sendable {
    let process = Process()
    let port: Int
    let stderrPath: String
    let client: HTTPClient
    var base: String { "http://127.0.0.1:\(port)" }

    /// `launcher`: a command that runs the server, e.g. `setpriv --reuid=65534 …` to run it as
    /// another user; empty runs the binary itself.
    init(
        store: String, arguments: [String] = [], scratch: Scratch, startLimit: Duration = .seconds(60),
        launcher: [String] = []
    ) throws {
        let binary = try #require(ledgerBinary, "build the package first: swift build")
        let serve = ["serve", "--store", store, "--listen", "127.0.0.1:0"] + arguments
        if let tool = launcher.first {
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = Array(launcher.dropFirst()) + [binary.path] + serve
        } else {
            process.executableURL = binary
            process.arguments = serve
        }
        var env = ProcessInfo.processInfo.environment
        env["LEDGER_STORE"] = nil
        process.environment = env
        let out = Pipe()
        stderrPath = scratch.path("serve-\(UUID().uuidString).stderr")
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try process.run()
        // The first line is `listening on http://127.0.0.1:PORT`; read it with a deadline.
        let line = Mutex2<String?>(nil)
        let reader = Thread {
            var bytes: [UInt8] = []
            while true {
                let d = out.fileHandleForReading.readData(ofLength: 1)
                if d.isEmpty || d.first == 0x0A { break }
                bytes.append(d.first!)
            }
            line.set(String(decoding: bytes, as: UTF8.self))
        }
        reader.start()
        let deadline = ContinuousClock.now + startLimit
        while !line.isSet && ContinuousClock.now < deadline { usleep(10_000) }
        guard let first = line.value, let colon = first.lastIndex(of: ":"), let port = Int(first[first.index(after: colon)...]) else {
            process.terminate()
            let log = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            throw ServerError.didNotStart("no `listening on` line within \(startLimit): \(line.value ?? "nothing"); stderr: \(log)")
        }
        self.port = port
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Sends `signal` and waits (bounded) for the process to end; its exit status, or the
    /// signal that ended it as 128 + n.
    @discardableResult
    func stop(_ signal: Int32 = SIGTERM, within limit: Duration = .seconds(30)) throws -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = ContinuousClock.now + limit
        while process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        guard !process.isRunning else {
            kill(process.processIdentifier, SIGKILL)
            throw ServerError.didNotStop("still running \(limit) after signal \(signal)")
        }
        try? client.syncShutdown()
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Stops the server if it still runs (for `defer`).
    func stopIfRunning() { _ = try? stop() }

    var log: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? client.syncShutdown()
    }

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: String
        var contentType: String? { headers.first(name: "content-type") }
    }

    /// One request; `token` goes as `Authorization: Bearer`.
    func request(
        _ method: HTTPMethod = .GET, _ path: String, body: String? = nil, contentType: String = "application/json",
        token: String? = nil, headers: [(String, String)] = []
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let body {
            request.body = .bytes(ByteBuffer(string: body))
            request.headers.add(name: "content-type", value: contentType)
        }
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        let response = try await client.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 256 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }

    /// Waits (bounded) until `GET /healthz` answers 200.
    func waitHealthy(within limit: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let a = try? await request(.GET, "/healthz"), a.status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ServerError.didNotStart("/healthz did not answer 200 within \(limit)")
    }

    enum ServerError: Error { case didNotStart(String), didNotStop(String) }
}

/// A scratch directory with the sample store, and a healthy server on it. The caller stops the
/// server (`stop`, or `defer { server.stopIfRunning() }`) and removes the scratch directory.
func startSample(_ arguments: [String] = []) async throws -> (Scratch, String, Server) {
    let scratch = try Scratch()
    let store = try Sample.store(in: scratch)
    let server = try Server(store: store, arguments: arguments, scratch: scratch)
    try await server.waitHealthy()
    return (scratch, store, server)
}

/// A small history: campaign `spring` (whatsapp) with contacts c1…c3, `calls` (telephone) with
/// t1; 12 events. c1 read, c2 delivery_failed (131026), c3 sent; t1 success.
enum Sample {
    static let lines: [String] = [
        #"{"id":"e1","type":"campaign.created","campaign":"spring","channel":"whatsapp","name":"Spring promo","at":"2026-11-20T08:00:00Z"}"#,
        #"{"id":"e2","type":"campaign.created","campaign":"calls","channel":"telephone","at":"2026-11-20T08:00:00Z"}"#,
        #"{"id":"e3","type":"contact.added","campaign":"spring","contact":"c1","address":"+420601234567","at":"2026-11-20T08:01:00Z"}"#,
        #"{"id":"e4","type":"contact.added","campaign":"spring","contact":"c2","address":"+420601234568","at":"2026-11-20T08:01:00Z"}"#,
        #"{"id":"e5","type":"contact.added","campaign":"spring","contact":"c3","address":"+420601234569","at":"2026-11-20T08:01:00Z"}"#,
        #"{"id":"e6","type":"contact.added","campaign":"calls","contact":"t1","address":"+420777000001","at":"2026-11-20T08:02:00Z"}"#,
        #"{"id":"e7","type":"campaign.started","campaign":"spring","at":"2026-11-20T09:00:00Z"}"#,
        #"{"id":"e8","type":"contact.status","campaign":"spring","contact":"c1","status":"read","at":"2026-11-20T09:01:02Z"}"#,
        #"{"id":"e9","type":"contact.status","campaign":"spring","contact":"c2","status":"delivery_failed","code":"131026","at":"2026-11-20T09:00:05Z"}"#,
        #"{"id":"e10","type":"contact.status","campaign":"spring","contact":"c3","status":"sent","at":"2026-11-20T09:00:02Z"}"#,
        #"{"id":"e11","type":"campaign.started","campaign":"calls","at":"2026-11-20T09:00:00Z"}"#,
        #"{"id":"e12","type":"contact.status","campaign":"calls","contact":"t1","status":"success","at":"2026-11-20T09:03:00Z"}"#,
    ]

    /// A store with the sample imported by the CLI, at `path` (default: `store` in `scratch`).
    static func store(in scratch: Scratch, at path: String? = nil) throws -> String {
        let file = try scratch.write("sample.jsonl", lines.joined(separator: "\n") + "\n")
        let store = path ?? scratch.path("store")
        let r = try ledger(["import", file, "--store", store])
        try #require(r.status == 0, "import failed: \(r.err)")
        return store
    }
}

/// A contact.added event for `campaign` as a JSON object text.
func addContact(_ campaign: String, _ contact: String, id: String? = nil) -> String {
    let idField = id.map { #""id":"\#($0)","# } ?? ""
    return #"{\#(idField)"type":"contact.added","campaign":"\#(campaign)","contact":"\#(contact)","address":"+420600000000","at":"2026-11-20T10:00:00Z"}"#
}
