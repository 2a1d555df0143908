import Foundation
import NIOHTTP1
import Testing

/// Makes the Python environment of tools/openapi_test.sh (a venv with jsonschema and
/// schemathesis from PyPI) once; nil with the reason when it cannot.
enum OpenAPITools {
    static let script = packageRoot.appendingPathComponent("tools/openapi_test.sh").path

    static let unavailable: String? = {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") || FileManager.default.isExecutableFile(atPath: "/usr/local/bin/python3")
        else { return "no python3" }
        guard let r = try? runScript(["-", "-", "-", "--venv-only"], limit: .seconds(600)) else { return "the venv could not be made" }
        return r.status == 0 ? nil : r.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    /// Runs the script with a time limit; its exit status and output.
    static func runScript(_ arguments: [String], limit: Duration) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [script] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let data = Mutex2<Data>(Data())
        let reader = Thread { data.set(out.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let deadline = ContinuousClock.now + limit
        while process.isRunning && ContinuousClock.now < deadline { usleep(50_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            return (124, "timed out after \(limit)")
        }
        while !data.isSet { usleep(1000) }
        return (process.terminationStatus, String(decoding: data.value, as: UTF8.self))
    }
}

@Suite(.serialized, .enabled(if: ledgerBinary != nil, "build the package first: swift build"))
struct ServerOpenAPITests {
    /// Every route's answers (successes and errors) validate against /openapi.json, and
    /// schemathesis's generated requests find no 5xx and no answer outside the document.
    @Test(
        .timeLimit(.minutes(15)),
        .enabled(if: OpenAPITools.unavailable == nil, "tools/openapi_test.sh cannot make its venv: \(OpenAPITools.unavailable ?? "")"))
    func answersConformToTheDocument() async throws {
        // Every provider configured: the check posts signed callbacks and lists the parked ones.
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = try Sample.store(in: scratch)
        let providers = try scratch.write("providers.json", Providers.settings)
        let server = try Server(store: store, arguments: ["--providers", providers], scratch: scratch)
        defer { server.stopIfRunning() }
        try await server.waitHealthy()
        let r = try OpenAPITools.runScript([server.base, "spring", "c1", providers], limit: .seconds(780))
        #expect(r.status == 0, "\(r.output.suffix(6000))")
        #expect(try server.stop() == 0, "the server did not stop cleanly after schemathesis: \(server.log.suffix(2000))")
    }

    /// The provider callback routes are in the document: one operation per provider with its
    /// own body and authentication (no API token), the parked list and drop, and the `parked`
    /// history mark. Needs no Python.
    @Test(.timeLimit(.minutes(2)))
    func theDocumentDescribesTheCallbackRoutes() async throws {
        let (scratch, _, server) = try await startSample()
        defer { server.stopIfRunning(); scratch.remove() }
        let answer = try await server.request(.GET, "/openapi.json")
        #expect(answer.status == 200)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let bodies = ["meta": "application/json", "twilio": "application/x-www-form-urlencoded",
                      "infobip": "application/json", "vonage": "application/json"]
        for (provider, media) in bodies {
            let post = try #require(paths["/v1/callbacks/\(provider)"]?["post"] as? [String: Any], "no POST /v1/callbacks/\(provider)")
            let content = (post["requestBody"] as? [String: Any])?["content"] as? [String: Any]
            #expect(content?.keys.sorted() == [media], "\(provider): the body is \(media)")
            let security = try #require(post["security"] as? [[String: Any]], "\(provider): no security")
            #expect(!security.contains { $0["bearer"] != nil }, "\(provider) takes no API token")
            let responses = try #require(post["responses"] as? [String: Any])
            #expect(Set(responses.keys) == ["200", "400", "401", "404", "413", "503"], "\(provider): \(responses.keys.sorted())")
        }
        let headers = { (provider: String) -> [String] in
            let post = paths["/v1/callbacks/\(provider)"]?["post"] as? [String: Any]
            return (post?["parameters"] as? [[String: Any]] ?? []).filter { $0["in"] as? String == "header" }.compactMap { $0["name"] as? String }
        }
        #expect(headers("meta") == ["X-Hub-Signature-256"])
        #expect(headers("twilio") == ["X-Twilio-Signature"])
        #expect(paths["/v1/callbacks/parked"]?["get"] != nil)
        #expect(paths["/v1/callbacks/parked"]?["delete"] != nil)
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        for name in ["CallbackOutcome", "CallbackAnswer", "ParkedCallback", "MetaWebhook", "TwilioStatusCallback", "InfobipReport", "VonageStatus"] {
            #expect(schemas[name] != nil, "no schema \(name)")
        }
        let history = ((schemas["HistoryEntry"] as? [String: Any])?["allOf"] as? [[String: Any]])?.first
        let marks = ((history?["properties"] as? [String: Any])?["marks"] as? [String: Any])?["items"] as? [String: Any]
        #expect((marks?["enum"] as? [String])?.contains("parked") == true, "the history marks include parked")
    }
}
