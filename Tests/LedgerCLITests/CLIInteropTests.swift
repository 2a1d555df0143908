import Foundation
import Testing

/// What an auditor does with tools of their own: decode a store with Python's `lmdb` from
/// docs/format.md alone (Tests/Interop/decode_store.py), and check a campaign's evidence export
/// with tools/check_evidence.py. Each runs the Python script with a time limit and asserts its
/// exit status; without python3 (or, for the decoder, without a venv that has `lmdb`) the test is
/// skipped and says why.
@Suite(.timeLimit(.minutes(5)))
struct CLIInteropTests {
    @Test(.enabled(if: Python.interpreter != nil, "python3 is not on PATH"))
    func evidenceExportPassesCheckEvidenceAndATamperedCopyFails() throws {
        let python = try #require(Python.interpreter)
        let (dir, store) = try Fixture.importedStore()
        let evidence = dir.at("spring-evidence.jsonl")
        let export = try CLI.run(["export", "--campaign", "spring", "--evidence", "--output", evidence], store: store)
        #expect(export.status == 0, "\(export)")
        let verify = try CLI.run(["verify"], store: store)
        let head = try #require(verify.stdoutLines.last?.split(separator: " ").map(String.init))
        try #require(head.count == 3 && head[0] == "head", "\(verify)")
        let checkpoint = "\(head[1]):\(head[2])"
        let script = CLI.packageRoot.appendingPathComponent("tools/check_evidence.py").path

        let ok = try Python.run(python, [script, evidence, checkpoint])
        #expect(ok.status == 0, "\(ok)")

        // One character of a spring event changed: its digest, hence the chain, no longer holds.
        let text = try dir.read("spring-evidence.jsonl")
        #expect(text.contains("wamid.A1"))
        try dir.write("tampered.jsonl", text.replacingOccurrences(of: "wamid.A1", with: "wamid.A7"))
        let tampered = try Python.run(python, [script, dir.at("tampered.jsonl"), checkpoint])
        #expect(tampered.status == 1, "\(tampered)")

        // Another campaign's digest changed: the chain up to the checkpoint breaks.
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let i = try #require(lines.firstIndex { $0.contains(#""digest":""#) })
        let digitAt = try #require(lines[i].range(of: #""digest":""#)).upperBound
        let digit = lines[i][digitAt]
        lines[i].replaceSubrange(digitAt...digitAt, with: digit == "0" ? "1" : "0")
        try dir.write("tampered-digest.jsonl", lines.joined(separator: "\n"))
        let badDigest = try Python.run(python, [script, dir.at("tampered-digest.jsonl"), checkpoint])
        #expect(badDigest.status == 1, "\(badDigest)")

        // The right file against a wrong checkpoint hash.
        let wrong = "\(head[1]):" + String(repeating: "0", count: 64)
        let wrongHead = try Python.run(python, [script, evidence, wrong])
        #expect(wrongHead.status == 1, "\(wrongHead)")
    }

    @Test(.enabled(if: Python.withLMDB != nil, "no python3 with the lmdb package: the venv in .build/interop-venv could not be made or `pip install lmdb` failed (see stderr)"))
    func storeDecodesFromTheDocumentedLayout() throws {
        let python = try #require(Python.withLMDB)
        let binary = try #require(CLI.binary, "build the package first: swift build")
        let dir = try TempDir()
        let script = CLI.packageRoot.appendingPathComponent("Tests/Interop/decode_store.py").path
        let r = try Python.run(python, [script, binary.path, dir.path], timeout: 240)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.hasPrefix("ok: "), "\(r)")
    }
}

/// Finding and running Python for the interop tests.
enum Python {
    /// `python3` on PATH, or nil.
    static let interpreter: String? = {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/python3"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    /// A python with the `lmdb` package: the venv in `.build/interop-venv`, made (once, and kept
    /// beside the build products) when absent; nil when python3, the venv or the package cannot
    /// be had (the reason goes to stderr).
    static let withLMDB: String? = {
        guard let python = interpreter else { return nil }
        let venv = CLI.packageRoot.appendingPathComponent(".build/interop-venv")
        let venvPython = venv.appendingPathComponent("bin/python").path
        func hasLMDB() -> Bool {
            FileManager.default.isExecutableFile(atPath: venvPython)
                && (try? run(venvPython, ["-c", "import lmdb"], timeout: 60).status) == 0
        }
        if hasLMDB() { return venvPython }
        do {
            let made = try run(python, ["-m", "venv", "--clear", venv.path], timeout: 120)
            guard made.status == 0 else {
                FileHandle.standardError.write(Data("interop: python3 -m venv failed: \(made)\n".utf8))
                return nil
            }
            let pip = try run(venvPython, ["-m", "pip", "install", "--quiet", "lmdb"], timeout: 300)
            guard pip.status == 0 else {
                FileHandle.standardError.write(Data("interop: pip install lmdb failed: \(pip)\n".utf8))
                return nil
            }
        } catch {
            FileHandle.standardError.write(Data("interop: \(error)\n".utf8))
            return nil
        }
        return hasLMDB() ? venvPython : nil
    }()

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `executable ARGS` and waits at most `timeout` seconds; a run that takes longer is
    /// terminated and reported as a failure.
    static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval = 120) throws -> CLIResult {
        let scratch = try TempDir()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = scratch.url
        var env = ProcessInfo.processInfo.environment
        env["LEDGER_STORE"] = nil
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        process.environment = env
        let outURL = scratch.url.appendingPathComponent("stdout")
        let errURL = scratch.url.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw Failure(description: "\(executable) \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s")
        }
        process.waitUntilExit()
        let stdout = String(decoding: try Data(contentsOf: outURL), as: UTF8.self)
        let stderr = String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
        return CLIResult(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }
}
