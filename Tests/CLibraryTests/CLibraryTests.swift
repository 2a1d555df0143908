import Foundation
import Testing

/// The C library as C and Python users get it: a C program compiled with gcc against the built
/// `libCampaignLedgerC.so` (plain and under valgrind), the header against the exported symbols,
/// the C example of docs/embedding.md, and the Python package's pytest suite in a fresh venv.
@Suite(.serialized)
struct CLibraryTests {
    @Test(.timeLimit(.minutes(5)), .enabled(if: Tools.gcc != nil, "no gcc on PATH"))
    func cProgramAppendsQueriesAndHitsEveryErrorPath() throws {
        let dir = try Scratch()
        let program = try Build.compile(Build.cTestSource.path, to: dir.at("ledger_c_test"))
        let r = try run(program, [dir.at("store"), dir.path], timeout: 240)
        #expect(r.status == 0 && r.stdout == "ok\n", "\(r)")
    }

    /// Under valgrind: a copy of the library without its DWARF 5 debug information (valgrind
    /// 3.19 gives up reading Swift's; the symbol table stays, so stacks keep their names), and a
    /// 1 GiB map (valgrind's address space cannot hold the default 64 GiB).
    @Test(.timeLimit(.minutes(20)), .enabled(if: Tools.gcc != nil && Tools.valgrind != nil && Tools.which("strip") != nil,
        "no gcc, valgrind or strip on PATH"))
    func cProgramUnderValgrindHasNoLeakOrInvalidAccess() throws {
        let dir = try Scratch()
        let lib = dir.at("lib")
        try FileManager.default.createDirectory(atPath: lib, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try Build.library().path, toPath: lib + "/libCampaignLedgerC.so")
        let strip = try run(Tools.which("strip")!, ["--strip-debug", lib + "/libCampaignLedgerC.so"])
        try #require(strip.status == 0, "\(strip)")
        let program = try Build.compile(Build.cTestSource.path, to: dir.at("ledger_c_test"), libraryDirectory: lib)
        let suppressions = Build.root.appendingPathComponent("Tests/CLibraryTests/valgrind.supp").path
        let r = try run(Tools.valgrind!, [
            "--error-exitcode=99", "--leak-check=full", "--show-leak-kinds=definite,indirect",
            "--errors-for-leak-kinds=definite,indirect", "--suppressions=\(suppressions)",
            program, dir.at("store"), dir.path, "\(1 << 30)",
        ], timeout: 1100)
        #expect(r.stdout == "ok\n", "\(r)")
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.contains("ERROR SUMMARY: 0 errors"), "\(r)")
        #expect(r.stderr.contains("definitely lost: 0 bytes") || r.stderr.contains("All heap blocks were freed"), "\(r)")
    }

    /// Every function the header declares is exported, and every exported `ledger_` function is
    /// in the header.
    @Test(.enabled(if: Tools.which("nm") != nil, "no nm on PATH"))
    func headerDeclaresExactlyTheExportedFunctions() throws {
        let library = try Build.library()
        let header = try String(contentsOf: Build.header, encoding: .utf8)
        let declared = Set(header.matches(of: /\b(ledger_[a-z_]+)\(/).map { String($0.1) })
        let nm = try run(Tools.which("nm")!, ["-D", "--defined-only", library.path])
        #expect(nm.status == 0, "\(nm)")
        let exported = Set(nm.stdout.split(separator: "\n").compactMap { line -> String? in
            let name = line.split(separator: " ").last.map(String.init) ?? ""
            return name.hasPrefix("ledger_") ? name : nil
        })
        #expect(declared.count >= 18)
        #expect(declared == exported, "declared only: \(declared.subtracting(exported)); exported only: \(exported.subtracting(declared))")
    }

    /// docs/embedding.md's C example compiles with -Wall -Werror and runs.
    @Test(.timeLimit(.minutes(3)), .enabled(if: Tools.gcc != nil, "no gcc on PATH"))
    func embeddingDocCExampleRuns() throws {
        let doc = try String(contentsOf: Build.root.appendingPathComponent("docs/embedding.md"), encoding: .utf8)
        let block = try #require(doc.firstMatch(of: /```c\n((?s).*?)```/)?.1, "docs/embedding.md has no ```c block")
        let dir = try Scratch()
        let source = dir.at("example.c")
        try String(block).write(toFile: source, atomically: true, encoding: .utf8)
        let program = try Build.compile(source, to: dir.at("example"))
        let r = try run(program, [dir.at("store")], timeout: 120)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("\"status\":\"completed\",\"endedBy\":\"settled\""), "\(r)")
        #expect(r.stdout.contains("not found: no contact 'nobody' in campaign 'spring'"), "\(r)")
    }

    /// docs/embedding.md's Go example, built with cgo against the built library, runs.
    @Test(.timeLimit(.minutes(5)), .enabled(if: Tools.which("go") != nil, "no go on PATH (Debian: apt-get install -y golang-go)"))
    func embeddingDocGoExampleRuns() throws {
        let doc = try String(contentsOf: Build.root.appendingPathComponent("docs/embedding.md"), encoding: .utf8)
        let block = try #require(doc.firstMatch(of: /```go\n((?s).*?)```/)?.1, "docs/embedding.md has no ```go block")
        let dir = try Scratch()
        let fm = FileManager.default
        try String(block).write(toFile: dir.at("main.go"), atomically: true, encoding: .utf8)
        try "module example\n\ngo 1.19\n".write(toFile: dir.at("go.mod"), atomically: true, encoding: .utf8)
        try fm.createDirectory(atPath: dir.at("campaign-ledger-c/include"), withIntermediateDirectories: true)
        try fm.copyItem(atPath: Build.header.path, toPath: dir.at("campaign-ledger-c/include/campaign_ledger.h"))
        try fm.createSymbolicLink(atPath: dir.at("campaign-ledger-c/lib"), withDestinationPath: try Build.library().deletingLastPathComponent().path)
        let r = try run(Tools.which("go")!, ["run", ".", dir.at("store")],
                        environment: ["GOCACHE": dir.at("gocache"), "GOPATH": dir.at("gopath"), "GOFLAGS": "-mod=mod", "CGO_ENABLED": "1"],
                        directory: dir.path, timeout: 280)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("\"outcome\":\"appended\"") && r.stdout.contains("\"campaign\":\"spring\""), "\(r)")
    }

    /// The Python package installed with pip into a fresh venv (the library taken from this
    /// build: CAMPAIGN_LEDGER_PREBUILT), then its pytest suite against the built `ledger`.
    @Test(.timeLimit(.minutes(20)), .enabled(if: Tools.which("python3") != nil, "no python3 on PATH"))
    func pythonPackageTestsPass() throws {
        let library = try Build.library()
        let ledger = Build.products.appendingPathComponent("ledger").path
        try #require(FileManager.default.isExecutableFile(atPath: ledger), "no \(ledger): swift build first")
        let venv = try Scratch()
        let python = venv.at("bin/python")
        let made = try run(Tools.which("python3")!, ["-m", "venv", venv.path], timeout: 180)
        try #require(made.status == 0, "python3 -m venv failed: \(made)")
        let env = ["CAMPAIGN_LEDGER_PREBUILT": library.deletingLastPathComponent().path]
        let pip = try run(python, ["-m", "pip", "install", "--quiet", "pytest", Build.root.appendingPathComponent("Sources/python").path],
                          environment: env, timeout: 600)
        try #require(pip.status == 0, "pip install failed: \(pip)")
        let tests = Build.root.appendingPathComponent("Sources/python/tests").path
        // Run from the venv (not the source tree), so the installed package is the one tested.
        let r = try run(python, ["-m", "pytest", "-q", "-p", "no:cacheprovider", tests],
                        environment: ["LEDGER_BIN": ledger], directory: venv.path, timeout: 900)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains(" passed") && !r.stdout.contains("skipped"), "\(r)")
    }

    /// The self-contained directory of tools/build_clib.sh (release, static Swift runtime) loads
    /// in a C program run with an empty environment.
    @Test(.timeLimit(.minutes(3)), .enabled(if: Tools.gcc != nil && Build.distribution != nil,
        "no .build/campaign-ledger-c/lib/libCampaignLedgerC.so: run tools/build_clib.sh first"))
    func selfContainedLibraryLoadsWithoutTheSwiftToolchain() throws {
        let lib = Build.distribution!
        let ldd = try run(Tools.which("ldd")!, [lib.appendingPathComponent("libCampaignLedgerC.so").path])
        #expect(!ldd.stdout.contains("libswift") && !ldd.stdout.contains("Foundation") && !ldd.stdout.contains("not found"), "\(ldd)")
        let dir = try Scratch()
        let program = try Build.compile(Build.cTestSource.path, to: dir.at("ledger_c_test"), libraryDirectory: lib.path)
        let r = try run("/usr/bin/env", ["-i", program, dir.at("store"), dir.path], timeout: 120)
        #expect(r.status == 0 && r.stdout == "ok\n", "\(r)")
    }
}

/// Paths of the package and its build, and compiling C against the library.
enum Build {
    /// The package root: this file is Tests/CLibraryTests/CLibraryTests.swift.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let header = root.appendingPathComponent("Sources/CampaignLedgerC/include/campaign_ledger.h")
    static let cTestSource = root.appendingPathComponent("Tests/CLibraryTests/c/ledger_c_test.c")

    /// The directory of the build products this test runs in (.build/debug or .build/release).
    static let products: URL = {
        for configuration in ["debug", "release"] {
            let url = root.appendingPathComponent(".build/\(configuration)")
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("libCampaignLedgerC.so").path) { return url }
        }
        return root.appendingPathComponent(".build/debug")
    }()

    /// tools/build_clib.sh's library directory, when it has been made.
    static let distribution: URL? = {
        let lib = root.appendingPathComponent(".build/campaign-ledger-c/lib")
        return FileManager.default.fileExists(atPath: lib.appendingPathComponent("libCampaignLedgerC.so").path) ? lib : nil
    }()

    static func library(sourceLocation: SourceLocation = #_sourceLocation) throws -> URL {
        let url = products.appendingPathComponent("libCampaignLedgerC.so")
        try #require(FileManager.default.fileExists(atPath: url.path), "no \(url.path): swift build first", sourceLocation: sourceLocation)
        return url
    }

    /// Compiles `source` against the built library, or the one in `libraryDirectory` (the
    /// directory as the rpath).
    static func compile(_ source: String, to output: String, libraryDirectory: String? = nil) throws -> String {
        let directory = try libraryDirectory ?? library().deletingLastPathComponent().path
        let cc = try run(Tools.gcc!, [
            "-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-I", header.deletingLastPathComponent().path, source,
            "-L", directory, "-lCampaignLedgerC", "-Wl,-rpath,\(directory)", "-pthread", "-o", output,
        ])
        try #require(cc.status == 0, "gcc failed: \(cc)")
        return output
    }
}

enum Tools {
    static let gcc = which("gcc")
    static let valgrind = which("valgrind")

    static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// A temporary directory, removed when the value goes away.
final class Scratch {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-clib-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func at(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

struct Run: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String
    var description: String { "exit \(status)\n--- stdout\n\(stdout.suffix(6000))\n--- stderr\n\(stderr.suffix(12000))" }
}

/// Runs a program to its end (killed after `timeout` seconds, which fails the run), its output
/// captured through files.
func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
         timeout: Double = 60) throws -> Run {
    let scratch = try Scratch()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["LEDGER_STORE"] = nil
    for (k, v) in environment { env[k] = v }
    process.environment = env
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    FileManager.default.createFile(atPath: scratch.at("out"), contents: nil)
    FileManager.default.createFile(atPath: scratch.at("err"), contents: nil)
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch.at("out")))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch.at("err")))
    defer {
        try? out.close()
        try? err.close()
    }
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date(timeIntervalSinceNow: timeout)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        throw RunTimeout(description: "\(executable) \(arguments.joined(separator: " ")) did not exit within \(Int(timeout)) s; killed")
    }
    return Run(
        status: process.terminationStatus,
        stdout: String(decoding: try Data(contentsOf: URL(fileURLWithPath: scratch.at("out"))), as: UTF8.self),
        stderr: String(decoding: try Data(contentsOf: URL(fileURLWithPath: scratch.at("err"))), as: UTF8.self))
}

struct RunTimeout: Error, CustomStringConvertible { var description: String }
