import Foundation
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
        let (scratch, _, server) = try await startSample()
        defer { server.stopIfRunning(); scratch.remove() }
        let r = try OpenAPITools.runScript([server.base, "spring", "c1"], limit: .seconds(780))
        #expect(r.status == 0, "\(r.output.suffix(6000))")
        #expect(try server.stop() == 0, "the server did not stop cleanly after schemathesis: \(server.log.suffix(2000))")
    }
}
