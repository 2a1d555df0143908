import AsyncHTTPClient
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOHTTP1
import Testing

/// `ledger serve` as a client sees it: every route and status code of http.md §2, answers
/// byte-identical to the CLI's `--json` on the same store.
@Suite(.serialized, .enabled(if: ledgerBinary != nil, "build the package first: swift build"))
struct ServerRouteTests {
    @Test(.timeLimit(.minutes(2)))
    func refusesNonLoopbackWithoutTokensAndAMissingStore() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = try Sample.store(in: scratch)
        let open = try ledger(["serve", "--store", store, "--listen", "0.0.0.0:0"])
        #expect(open.status == 64)
        #expect(open.err.split(separator: "\n").count == 1)
        #expect(open.err.contains("--tokens"))
        let missing = try ledger(["serve", "--store", scratch.path("absent"), "--listen", "127.0.0.1:0"])
        #expect(missing.status == 2)
        let badListen = try ledger(["serve", "--store", store, "--listen", "nowhere"])
        #expect(badListen.status == 64)
    }

    /// A client that sends `Expect: 100-continue` and waits for the interim answer before its
    /// body (curl does for bodies over 1 KB) gets `100 Continue` at once, then the final answer.
    @Test(.timeLimit(.minutes(2)))
    func expectContinueIsAnsweredBeforeTheBody() async throws {
        let (scratch, _, server) = try await startSample()
        defer { server.stopIfRunning(); scratch.remove() }
        let body = "[" + addContact("spring", "waits", id: "continue-1") + "]"
        let fd = try connectLoopback(port: server.port)
        defer { close(fd) }
        #expect(sendAll(fd, "POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nExpect: 100-continue\r\n\r\n"))
        // Nothing of the body is sent until the interim answer arrives (curl waits 1 s for it).
        var interim: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let started = ContinuousClock.now
        while !String(decoding: interim, as: UTF8.self).contains("\r\n\r\n"), ContinuousClock.now - started < .seconds(5) {
            var poll = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard Glibc.poll(&poll, 1, 100) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            interim += buffer[..<n]
        }
        let waited = ContinuousClock.now - started
        #expect(String(decoding: interim, as: UTF8.self).hasPrefix("HTTP/1.1 100 Continue\r\n"), "\(String(decoding: interim, as: UTF8.self))")
        #expect(waited < .milliseconds(900), "the interim answer took \(waited)")
        #expect(sendAll(fd, body + "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))
        let (closed, _, received) = readUntilClosed(fd, within: .seconds(20))
        #expect(closed)
        #expect(received.hasPrefix("HTTP/1.1 200"), "\(received.prefix(200))")
        #expect(received.contains(#""continue-1""#), "\(received.prefix(300))")
    }

    @Test(.timeLimit(.minutes(3)))
    func queriesAnswerExactlyAsTheCLI() async throws {
        let (scratch, store, server) = try await startSample()
        defer { server.stopIfRunning(); scratch.remove() }

        // Each route against the CLI command that prints the same document.
        let pairs: [(String, [String])] = [
            ("/v1/campaigns", ["campaign", "list"]),
            ("/v1/campaigns/spring", ["campaign", "show", "spring"]),
            ("/v1/campaigns/spring?asOf=2000-01-01T00:00:00Z", ["campaign", "list", "--as-of", "2000-01-01T00:00:00Z"]),
            ("/v1/campaigns/spring?occurredBefore=2026-11-20T09:00:03Z", ["campaign", "show", "spring", "--occurred-before", "2026-11-20T09:00:03Z"]),
            ("/v1/campaigns/spring/metrics", ["metrics", "spring"]),
            ("/v1/metrics", ["metrics"]),
            ("/v1/campaigns/spring/contacts", ["contact", "list", "spring"]),
            ("/v1/campaigns/spring/contacts?state=read", ["contact", "list", "spring", "--state", "read"]),
            ("/v1/campaigns/spring/contacts?limit=1&after=c1", ["contact", "list", "spring", "--limit", "1", "--after", "c1"]),
            ("/v1/campaigns/spring/contacts/c2", ["contact", "show", "spring", "c2"]),
            ("/v1/campaigns/spring/history", ["history", "spring"]),
            ("/v1/campaigns/spring/history?contact=c1", ["history", "spring", "c1"]),
            ("/v1/builds", ["projections", "list"]),
            // The time filters of every route that takes them (http.md §2: as the CLI flags).
            ("/v1/campaigns?asOf=2100-01-01T00:00:00Z", ["campaign", "list", "--as-of", "2100-01-01T00:00:00Z"]),
            ("/v1/campaigns/spring/metrics?occurredBefore=2026-11-20T09:00:03Z", ["metrics", "spring", "--occurred-before", "2026-11-20T09:00:03Z"]),
            ("/v1/metrics?occurredBefore=2026-11-20T09:00:03Z", ["metrics", "--occurred-before", "2026-11-20T09:00:03Z"]),
            ("/v1/campaigns/spring/contacts?state=sent&occurredBefore=2026-11-20T09:00:03Z",
             ["contact", "list", "spring", "--state", "sent", "--occurred-before", "2026-11-20T09:00:03Z"]),
            ("/v1/campaigns/spring/contacts/c1?occurredBefore=2026-11-20T09:01:00Z",
             ["contact", "show", "spring", "c1", "--occurred-before", "2026-11-20T09:01:00Z"]),
            ("/v1/campaigns/spring/contacts/c1?asOf=2100-01-01T00:00:00Z", ["contact", "show", "spring", "c1", "--as-of", "2100-01-01T00:00:00Z"]),
        ]
        for (path, command) in pairs {
            let a = try await server.request(.GET, path)
            if path.contains("asOf=2000-") {
                // A campaign that did not exist yet: 404 over HTTP, exit 2 from the CLI.
                #expect(a.status == 404, "\(path)")
                #expect(try ledger(["campaign", "show", "spring", "--as-of", "2000-01-01T00:00:00Z", "--store", store]).status == 2)
                continue
            }
            let cli = try ledger(command + ["--json", "--store", store])
            #expect(cli.status == 0, "\(command): \(cli.err)")
            #expect(a.status == 200, "\(path): \(a.body)")
            #expect(a.contentType == "application/json", "\(path)")
            #expect(a.body + "\n" == cli.out, "\(path) differs from ledger \(command.joined(separator: " ")) --json")
        }

        // The log as export lines, and the evidence export.
        let export = try ledger(["export", "--store", store])
        let lines = export.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 12)
        let all = try await server.request(.GET, "/v1/events")
        #expect(all.status == 200)
        #expect(all.contentType == "application/x-ndjson")
        #expect(all.body == export.out)
        let page = try await server.request(.GET, "/v1/events?after=3&limit=4")
        #expect(page.body == lines[3..<7].map { $0 + "\n" }.joined())
        let evidence = try await server.request(.GET, "/v1/campaigns/calls/evidence")
        let cliEvidence = try ledger(["export", "--campaign", "calls", "--evidence", "--store", store])
        #expect(evidence.status == 200)
        #expect(evidence.body == cliEvidence.out)

        // The head: the checkpoint `ledger verify` prints last.
        let head = try await server.request(.GET, "/v1/head")
        let verify = try ledger(["verify", "--store", store])
        let headLine = try #require(verify.out.split(separator: "\n").last).split(separator: " ")
        #expect(head.status == 200)
        #expect(head.body.hasPrefix(#"{"position":12,"hash":"\#(headLine[2])","recordedAt":""#))

        // The report.
        let report = try await server.request(.GET, "/v1/campaigns/spring/report")
        #expect(report.status == 200)
        #expect(report.contentType?.hasPrefix("text/html") == true)
        let reportFile = scratch.path("spring.html")
        #expect(try ledger(["report", "spring", "--output", reportFile, "--store", store]).status == 0)
        // The same page but for the time it was generated (in its footer, to the second).
        let generatedAt = /at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ from the ledger/
        let headerGeneratedAt = /data-field="generatedAt">\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ</
        func untimed(_ page: String) -> String {
            page.replacing(generatedAt, with: "at T from the ledger").replacing(headerGeneratedAt, with: #"data-field="generatedAt">T<"#)
        }
        let fromCLI = try String(contentsOfFile: reportFile, encoding: .utf8)
        #expect(untimed(report.body) == untimed(fromCLI))
        #expect(report.body.contains(generatedAt))

        // Liveness, readiness, metrics, the contract.
        #expect(try await server.request(.GET, "/healthz").status == 200)
        #expect(try await server.request(.GET, "/readyz").status == 200)
        let metrics = try await server.request(.GET, "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.contentType?.hasPrefix("text/plain") == true)
        let openapi = try await server.request(.GET, "/openapi.json")
        #expect(openapi.status == 200)
        let document = try JSONSerialization.jsonObject(with: Data(openapi.body.utf8)) as? [String: Any]
        #expect(document?["openapi"] as? String == "3.1.0")
    }

    @Test(.timeLimit(.minutes(3)))
    func appendsAndEveryErrorStatus() async throws {
        let (scratch, store, server) = try await startSample()
        defer { server.stopIfRunning(); scratch.remove() }

        // A JSON array: positions 13 and 14; the same again: duplicates of them.
        let batch = "[\(addContact("spring", "c4", id: "a1")), \(addContact("spring", "c5", id: "a2"))]"
        let first = try await server.request(.POST, "/v1/events", body: batch)
        #expect(first.status == 200)
        #expect(first.body == #"{"outcomes":[{"outcome":"appended","position":13,"id":"a1"},{"outcome":"appended","position":14,"id":"a2"}]}"#)
        let again = try await server.request(.POST, "/v1/events", body: batch)
        #expect(again.body == #"{"outcomes":[{"outcome":"duplicate","position":13,"id":"a1"},{"outcome":"duplicate","position":14,"id":"a2"}]}"#)
        // JSON Lines, with a blank line.
        let ndjson = addContact("spring", "c6", id: "a3") + "\n\n" + addContact("spring", "c7", id: "a4") + "\n"
        let lines = try await server.request(.POST, "/v1/events", body: ndjson, contentType: "application/x-ndjson")
        #expect(lines.body == #"{"outcomes":[{"outcome":"appended","position":15,"id":"a3"},{"outcome":"appended","position":16,"id":"a4"}]}"#)
        // The same answer as `ledger append --json` for a duplicate.
        let cli = try ledger(["append", "--json", "--store", store], stdin: addContact("spring", "c7", id: "a4"))
        #expect(cli.out == #"{"outcome":"duplicate","position":16,"id":"a4"}"# + "\n")

        // Expectations: the stream of c4 is at version 13.
        let good = #"{"events":[\#(addContact("spring", "c8", id: "a5"))],"expect":[{"campaign":"spring","contact":"c4","version":13}]}"#
        #expect(try await server.request(.POST, "/v1/events", body: good).status == 200)
        let stale = #"{"events":[\#(addContact("spring", "c9", id: "a6"))],"expect":[{"campaign":"spring","contact":"c4","version":12}]}"#
        let conflict = try await server.request(.POST, "/v1/events", body: stale)
        #expect(conflict.status == 409)
        #expect(conflict.body.hasPrefix(#"{"error":{"status":409,"code":"#))
        // An id reused with other content: 409 naming the event.
        let reused = try await server.request(.POST, "/v1/events", body: "[\(addContact("spring", "other", id: "a1"))]")
        #expect(reused.status == 409)
        #expect(reused.body.contains(#""index":0"#))

        // A batch with one bad event appends nothing: 422 with its 0-based index.
        let headBefore = try await server.request(.GET, "/v1/head").body
        let bad = "[\(addContact("spring", "c10", id: "b1")), {\"type\":\"contact.status\",\"campaign\":\"spring\",\"contact\":\"nobody\",\"status\":\"read\",\"at\":\"2026-11-20T10:00:00Z\"}]"
        let rejected = try await server.request(.POST, "/v1/events", body: bad)
        #expect(rejected.status == 422)
        #expect(rejected.body.contains(#""index":1"#))
        let unknownField = try await server.request(.POST, "/v1/events", body: #"[{"type":"campaign.started","campaign":"x","at":"2026-11-20T10:00:00Z","colour":"red"}]"#)
        #expect(unknownField.status == 422)
        #expect(unknownField.body.contains(#""index":0"#))
        #expect(try await server.request(.GET, "/v1/head").body == headBefore)
        #expect(try await server.request(.GET, "/v1/campaigns/spring/contacts/c10").status == 404)

        // 400: not JSON, a bad query parameter, a time that is not RFC 3339.
        for (method, path, body) in [
            (HTTPMethod.POST, "/v1/events", "not json"),
            (.POST, "/v1/events", #"{"evnts":[]}"#),
            (.GET, "/v1/events?limit=0", nil),
            (.GET, "/v1/events?after=-1", nil),
            (.GET, "/v1/campaigns/spring?asOf=yesterday", nil),
            (.GET, "/v1/campaigns/spring?asOf=2026-11-20T09:00:00Z&occurredBefore=2026-11-20T09:00:00Z", nil),
            (.GET, "/v1/campaigns/spring/contacts?state=happy", nil),
            (.POST, "/v1/builds/x/activate", nil),
        ] as [(HTTPMethod, String, String?)] {
            let a = try await server.request(method, path, body: body)
            #expect(a.status == 400, "\(method) \(path): \(a.body)")
            #expect(a.body.hasPrefix(#"{"error":{"status":400,"code":"bad_request","message":""#), "\(path)")
        }
        // 404: no such campaign, contact, build or route.
        for (method, path) in [
            (HTTPMethod.GET, "/v1/campaigns/nope"), (.GET, "/v1/campaigns/nope/metrics"),
            (.GET, "/v1/campaigns/spring/contacts/nobody"), (.GET, "/v1/campaigns/nope/history"),
            (.GET, "/v1/campaigns/nope/report"), (.GET, "/v1/campaigns/nope/evidence"),
            (.POST, "/v1/builds/99/activate"), (.GET, "/v1/nothing"),
        ] {
            let a = try await server.request(method, path)
            #expect(a.status == 404, "\(method) \(path): \(a.body)")
            #expect(a.body.hasPrefix(#"{"error":{"status":404,"#), "\(path)")
        }

        // Builds: a rebuild answers 202 and shows in GET /v1/builds; activating build 1 again
        // (a rollback) answers its summary.
        let rebuild = try await server.request(.POST, "/v1/rebuild")
        #expect(rebuild.status == 202)
        let deadline = ContinuousClock.now + .seconds(60)
        var builds = ""
        while ContinuousClock.now < deadline {
            builds = try await server.request(.GET, "/v1/builds").body
            if builds.contains(#""build":2,"projection":"campaigns","state":"active""#) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(builds.contains(#""build":2,"projection":"campaigns","state":"active""#), "\(builds)")
        let activate = try await server.request(.POST, "/v1/builds/1/activate")
        #expect(activate.status == 200)
        #expect(activate.body.hasPrefix(#"{"build":1,"projection":"campaigns","state":"active""#))
    }

    @Test(.timeLimit(.minutes(2)))
    func tokensAndScopes() async throws {
        let tokensDir = try Scratch()
        defer { tokensDir.remove() }
        let tokens = try tokensDir.write("tokens", "# reader and writer\nr3ad-only read\nwr1ter read,append\n")
        let (scratch, _, server) = try await startSample(["--tokens", tokens])
        defer { server.stopIfRunning(); scratch.remove() }

        let none = try await server.request(.GET, "/v1/campaigns")
        #expect(none.status == 401)
        #expect(none.body.hasPrefix(#"{"error":{"status":401,"code":"unauthorized","#))
        // Every route of http.md §2 that has a scope: 401 without a token.
        let scoped: [(HTTPMethod, String)] = [
            (.POST, "/v1/events"), (.GET, "/v1/events"), (.GET, "/v1/events/stream"), (.GET, "/v1/head"),
            (.GET, "/v1/campaigns"), (.GET, "/v1/campaigns/spring"), (.GET, "/v1/campaigns/spring/metrics"),
            (.GET, "/v1/metrics"), (.GET, "/v1/campaigns/spring/contacts"), (.GET, "/v1/campaigns/spring/contacts/c1"),
            (.GET, "/v1/campaigns/spring/history"), (.GET, "/v1/campaigns/spring/report"),
            (.GET, "/v1/campaigns/spring/evidence"), (.GET, "/v1/builds"), (.POST, "/v1/rebuild"),
            (.POST, "/v1/builds/1/activate"),
        ]
        for (method, path) in scoped {
            let a = try await server.request(method, path, body: method == .POST ? "[]" : nil)
            #expect(a.status == 401, "\(method) \(path) without a token: \(a.status)")
        }
        // The admin routes refuse a token without the admin scope.
        for path in ["/v1/rebuild", "/v1/builds/1/activate"] {
            let a = try await server.request(.POST, path, token: "r3ad-only")
            #expect(a.status == 403, "POST \(path) with a read token: \(a.status)")
        }
        #expect(try await server.request(.GET, "/v1/campaigns", token: "r3ad-onlx").status == 401)
        #expect(try await server.request(.GET, "/v1/campaigns", token: "r3ad-onl").status == 401)
        #expect(try await server.request(.GET, "/v1/campaigns", headers: [("authorization", "Basic cjNhZC1vbmx5")]).status == 401)
        #expect(try await server.request(.GET, "/v1/campaigns", token: "r3ad-only").status == 200)
        #expect(try await server.request(.GET, "/metrics").status == 401)
        #expect(try await server.request(.GET, "/metrics", token: "r3ad-only").status == 200)
        #expect(try await server.request(.GET, "/healthz").status == 200)
        #expect(try await server.request(.GET, "/openapi.json").status == 200)
        let body = "[\(addContact("spring", "c4"))]"
        let forbidden = try await server.request(.POST, "/v1/events", body: body, token: "r3ad-only")
        #expect(forbidden.status == 403)
        #expect(forbidden.body.hasPrefix(#"{"error":{"status":403,"code":"forbidden","#))
        #expect(try await server.request(.POST, "/v1/events", body: body, token: "wr1ter").status == 200)
        #expect(try await server.request(.POST, "/v1/rebuild", token: "wr1ter").status == 403)

        // SIGHUP re-reads the file: the reader is gone, an admin token appears.
        try Data("adm1n read,append,admin\n".utf8).write(to: URL(fileURLWithPath: tokens))
        kill(server.process.processIdentifier, SIGHUP)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, try await server.request(.GET, "/v1/head", token: "adm1n").status != 200 {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try await server.request(.GET, "/v1/head", token: "adm1n").status == 200)
        #expect(try await server.request(.GET, "/v1/head", token: "r3ad-only").status == 401)
        // The log never holds a token.
        #expect(try server.stop() == 0)
        #expect(!server.log.contains("r3ad-only") && !server.log.contains("adm1n"))
        #expect(server.log.contains("GET /v1/head 200"))
    }
}

/// The same history appended over HTTP in batches and imported by the CLI gives the same
/// answers.
@Suite(.enabled(if: ledgerBinary != nil, "build the package first: swift build"))
struct ServerImportEquivalenceTests {
    @Test(.timeLimit(.minutes(2)))
    func batchesOverHTTPAnswerAsACLIImport() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let imported = try Sample.store(in: scratch)
        let empty = try scratch.write("empty.jsonl", "")
        let served = scratch.path("served")
        let created = try ledger(["import", empty, "--store", served])
        try #require(created.status == 0, "\(created.err)")
        let server = try Server(store: served, scratch: scratch)
        defer { _ = try? server.stop() }
        try await server.waitHealthy()
        for start in stride(from: 0, to: Sample.lines.count, by: 5) {
            let batch = Sample.lines[start..<min(start + 5, Sample.lines.count)]
            let a = try await server.request(.POST, "/v1/events", body: "[" + batch.joined(separator: ",") + "]")
            #expect(a.status == 200, "\(a.body)")
        }
        for command in [
            ["campaign", "list"], ["campaign", "show", "spring"], ["metrics"], ["metrics", "calls"],
            ["contact", "list", "spring"], ["contact", "list", "calls"], ["contact", "show", "spring", "c2"],
        ] {
            let viaHTTP = try ledger(command + ["--json", "--store", served])
            let viaImport = try ledger(command + ["--json", "--store", imported])
            #expect(viaHTTP.status == 0 && viaImport.status == 0)
            #expect(viaHTTP.out == viaImport.out, "\(command.joined(separator: " "))")
        }
    }
}
