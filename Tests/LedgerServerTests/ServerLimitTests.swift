import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Limits, timeouts, shutdown and crashes of `ledger serve`, and the event stream.
@Suite(.serialized, .enabled(if: ledgerBinary != nil, "build the package first: swift build"))
struct ServerLimitTests {
    @Test(.timeLimit(.minutes(2)))
    func bodyOver32MiBIsRefusedAndAppendsNothing() async throws {
        let (scratch, _, server) = try await startSample()
        defer { server.stopIfRunning(); scratch.remove() }
        // 33 MiB of valid events: refused for its size alone.
        var body = "["
        var n = 0
        while body.utf8.count < 33 << 20 {
            if n > 0 { body += "," }
            body += addContact("spring", "big-\(n)")
            n += 1
        }
        body += "]"
        let answer = try await server.request(.POST, "/v1/events", body: body)
        #expect(answer.status == 413)
        #expect(answer.body.hasPrefix(#"{"error":{"status":413,"code":"too_large","#))
        let head = try await server.request(.GET, "/v1/head")
        #expect(head.body.hasPrefix(#"{"position":12,"#))
    }

    @Test(.timeLimit(.minutes(2)))
    func aClientSendingHeadersOneByteASecondIsCutOff() async throws {
        let (scratch, _, server) = try await startSample(["--header-timeout", "2"])
        defer { server.stopIfRunning(); scratch.remove() }
        let request = Array("GET /v1/head HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n".utf8)
        let fd = try connectLoopback(port: server.port)
        defer { close(fd) }
        let started = ContinuousClock.now
        var sent = 0
        var closed = false
        while sent < request.count {
            let n = withUnsafeBytes(of: request[sent]) { send(fd, $0.baseAddress, 1, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { closed = true; break }
            sent += 1
            // Closed by the server? A read that returns 0 (or fails) says so.
            var byte: UInt8 = 0
            var poll = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if Glibc.poll(&poll, 1, 1000) > 0, recv(fd, &byte, 1, 0) <= 0 { closed = true; break }
            if ContinuousClock.now - started > .seconds(20) { break }
        }
        #expect(closed, "the server kept a connection sending headers slowly for \(ContinuousClock.now - started)")
        #expect(sent < request.count)
        #expect(ContinuousClock.now - started < .seconds(10))
        // The server still answers others.
        #expect(try await server.request(.GET, "/healthz").status == 200)
    }

    /// `--idle-timeout 1` with a header timeout far longer: a connection that goes silent is
    /// closed by the idle timeout alone, whether it never sent anything, went silent after an
    /// answered request (keep-alive), or sent a request's headers and then nothing of its body
    /// (which appends nothing).
    @Test(.timeLimit(.minutes(2)))
    func silentConnectionsAreClosedByTheIdleTimeout() async throws {
        let (scratch, _, server) = try await startSample(["--idle-timeout", "1", "--header-timeout", "60"])
        defer { server.stopIfRunning(); scratch.remove() }
        let cases: [(name: String, send: String, answered: Bool)] = [
            ("connected and silent", "", false),
            ("silent after an answered request", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", true),
            ("headers sent, then nothing of the body",
             "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[", false),
        ]
        for c in cases {
            let fd = try connectLoopback(port: server.port)
            defer { close(fd) }
            #expect(sendAll(fd, c.send), "\(c.name): the server refused the bytes")
            let (closed, after, received) = readUntilClosed(fd, within: .seconds(20))
            #expect(closed, "\(c.name): still open after \(after); the idle timeout is 1 s")
            // Closed by the 1 s idle timeout, long before the 60 s header timeout.
            #expect(after < .seconds(10), "\(c.name): closed only after \(after)")
            #expect(received.hasPrefix("HTTP/1.1 200") == c.answered, "\(c.name): received \(received.prefix(200))")
        }
        let head = try await server.request(.GET, "/v1/head")
        #expect(head.body.hasPrefix(#"{"position":12,"#), "the abandoned body appended something: \(head.body)")
    }

    /// Appends from 16 concurrent clients until the server is signalled; returns the ids the
    /// server acknowledged with 200.
    private func appendUntilStopped(_ server: Server, signal: Int32) async throws -> (acknowledged: [String], status: Int32) {
        let acknowledged = Mutex2<[String]>([])
        let stopAt = ContinuousClock.now + .milliseconds(1500)
        let status: Int32 = try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<16 {
                group.addTask {
                    var i = 0
                    while true {
                        let ids = (0..<3).map { "w\(worker)-\(i)-\($0)" }
                        let body = "[" + ids.map { addContact("spring", $0, id: $0) }.joined(separator: ",") + "]"
                        i += 1
                        guard let a = try? await server.request(.POST, "/v1/events", body: body) else { return }
                        // A refusal (503 when the machine is loaded) is not an acknowledgement;
                        // the worker goes on until the server is gone.
                        if a.status == 200 { acknowledged.update { $0 += ids } }
                    }
                }
            }
            // At least 1.5 s of appends, and (on a loaded machine, within 60 s) some acknowledged.
            let latest = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < stopAt || (acknowledged.value.count < 48 && ContinuousClock.now < latest) {
                try await Task.sleep(for: .milliseconds(20))
            }
            let status = try server.stop(signal)
            try await group.waitForAll()
            return status
        }
        return (acknowledged.value, status)
    }

    private func checkStore(_ store: String, holds ids: [String]) throws {
        let verify = try ledger(["verify", "--store", store])
        #expect(verify.status == 0, "\(verify.out)\(verify.err)")
        let export = try ledger(["export", "--store", store])
        var stored = Set<String>()
        for line in export.out.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            if let id = object?["id"] as? String { stored.insert(id) }
        }
        let missing = ids.filter { !stored.contains($0) }
        #expect(missing.isEmpty, "\(missing.count) acknowledged events are not in the store, e.g. \(missing.prefix(5))")
    }

    /// SIGTERM: a graceful stop, exit 0. SIGKILL: a crash. Either way, every append the server
    /// acknowledged with 200 is in the store afterwards, and the store verifies.
    @Test(.timeLimit(.minutes(3)), arguments: [SIGTERM, SIGKILL])
    func aSignalDuringAppendsLosesNoAcknowledgedEvent(signal: Int32) async throws {
        let (scratch, store, server) = try await startSample()
        defer { scratch.remove() }
        let (ids, status) = try await appendUntilStopped(server, signal: signal)
        #expect(status == (signal == SIGTERM ? 0 : 128 + SIGKILL), "\(server.log.suffix(2000))")
        #expect(ids.count > 0)
        try checkStore(store, holds: ids)
    }

    @Test(.timeLimit(.minutes(2)))
    func theStreamResumesAfterADisconnectWithoutGapOrRepeat() async throws {
        let (scratch, store, server) = try await startSample()
        defer { server.stopIfRunning(); scratch.remove() }

        // First connection: from the start; read 8 events, then hang up.
        var seen = try await readStream(server, headers: [], count: 8)
        #expect(seen.map(\.id) == Array(1...8))
        // Appends while disconnected.
        let more = (0..<5).map { addContact("spring", "s\($0)", id: "s\($0)") }
        #expect(try await server.request(.POST, "/v1/events", body: "[" + more.joined(separator: ",") + "]").status == 200)
        // Resume with Last-Event-ID; the live part comes while connected.
        let lastID = try #require(seen.last?.id)
        let resumed = Task { [server] in try await readStream(server, headers: [("Last-Event-ID", "\(lastID)")], count: 12) }
        try await Task.sleep(for: .milliseconds(500))
        let live = (5..<8).map { addContact("spring", "s\($0)", id: "s\($0)") }
        #expect(try await server.request(.POST, "/v1/events", body: "[" + live.joined(separator: ",") + "]").status == 200)
        seen += try await resumed.value
        #expect(seen.map(\.id) == Array(1...20))
        // Each data line is the export line of its position.
        let export = try ledger(["export", "--store", store]).out.split(separator: "\n").map(String.init)
        #expect(seen.map(\.data) == export)
        // `after=` works as well.
        let tail = try await readStream(server, headers: [], query: "?after=18", count: 2)
        #expect(tail.map(\.id) == [19, 20])
    }
}

/// Reads `count` events from the stream and disconnects.
func readStream(
    _ server: Server, headers: [(String, String)], query: String = "", count: Int
) async throws -> [(id: Int, data: String)] {
    var request = HTTPClientRequest(url: server.base + "/v1/events/stream" + query)
    for (k, v) in headers { request.headers.add(name: k, value: v) }
    let response = try await server.client.execute(request, timeout: .seconds(30))
    #expect(response.status == .ok)
    #expect(response.headers.first(name: "content-type") == "text/event-stream")
    var events: [(id: Int, data: String)] = []
    var pending = ""
    var id: Int?
    for try await buffer in response.body {
        pending += String(buffer: buffer)
        while let newline = pending.firstIndex(of: "\n") {
            let line = String(pending[..<newline])
            pending = String(pending[pending.index(after: newline)...])
            if line.hasPrefix("id: ") { id = Int(line.dropFirst(4)) }
            if line.hasPrefix("data: "), let current = id {
                events.append((current, String(line.dropFirst(6))))
                if events.count == count { return events }
            }
        }
    }
    return events
}
