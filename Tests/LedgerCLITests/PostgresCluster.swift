import Foundation
import Testing

/// A private PostgreSQL cluster for one test (docs/scale-out.md "Tests"): `initdb` into a
/// temporary directory, a free loopback port, its own socket directory, started with `pg_ctl`,
/// waited for with a time limit, stopped by its postmaster's pid at the end. As root (CI), the
/// server runs as `nobody` through `setpriv`, since PostgreSQL refuses to run as root.
final class PostgresCluster: @unchecked Sendable {
    /// Debian's server binaries (tools/setup.sh and .ci/run install `postgresql`).
    static let bin: String? = ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"]
        .first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    static let psql: String? = ([bin.map { "\($0)/psql" }].compactMap { $0 } + ["/usr/bin/psql"])
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    /// Why the PostgreSQL tests cannot run here, or nil.
    static let unavailable: String? = {
        if bin == nil { return "PostgreSQL's server is not installed (apt-get install postgresql; tools/setup.sh does)" }
        if psql == nil { return "psql is not installed (apt-get install postgresql-client)" }
        if getuid() == 0 && !FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") {
            return "running as root without setpriv, PostgreSQL cannot be started as another user"
        }
        return nil
    }()

    let directory: TempDir
    let port: Int
    var data: String { directory.at("data") }
    var sockets: String { directory.at("sockets") }
    /// The `--log` URL of the cluster's `postgres` database.
    var url: String { "postgres://ledger@127.0.0.1:\(port)/postgres" }

    init() throws {
        let bin = try #require(Self.bin, "PostgreSQL is not installed")
        directory = try TempDir()
        port = try Self.freePort()
        try FileManager.default.createDirectory(atPath: directory.at("sockets"), withIntermediateDirectories: true)
        if getuid() == 0 {
            for p in [directory.path, directory.at("sockets")] {
                #expect(chown(p, 65534, 65534) == 0, "chown \(p) to nobody")
            }
        }
        let r = try run([
            "\(bin)/initdb", "-D", data, "-U", "ledger", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync",
        ], timeout: 120)
        guard r.status == 0 else { throw ClusterError(description: "initdb failed: \(r)") }
        try start()
    }

    deinit {
        stop(immediate: true)
    }

    /// The running postmaster, a child of the test process.
    private var server: BackgroundRun?

    /// Starts the postmaster (as `pg_ctl start` would, but as our child, so the test owns its
    /// pid) and waits at most 60 s for it to accept connections (`pg_isready`).
    func start() throws {
        let prefix = getuid() == 0 ? ["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] : []
        server = try BackgroundRun(prefix + [
            "\(Self.bin!)/postgres", "-D", data, "-p", "\(port)", "-k", sockets, "-c", "listen_addresses=127.0.0.1",
            "-c", "max_connections=50",
        ])
        let deadline = Date(timeIntervalSinceNow: 60)
        while true {
            let ready = try CLIProcess.run(
                ["\(Self.bin!)/pg_isready", "-q", "-h", "127.0.0.1", "-p", "\(port)", "-t", "5"], timeout: 30)
            if ready.status == 0 { return }
            if let server, !server.process.isRunning {
                throw ClusterError(description: "postgres exited: \(try server.wait(timeout: 1))")
            }
            guard Date() < deadline else { throw ClusterError(description: "postgres did not accept connections within 60 s") }
            usleep(100_000)
        }
    }

    /// Stops the server by its pid: `immediate` is SIGQUIT, what `pg_ctl stop -m immediate`
    /// sends (a crash for PostgreSQL: no checkpoint, WAL replay at the next start); else SIGINT, a
    /// fast shutdown. Waits at most 30 s, then SIGKILL.
    func stop(immediate: Bool) {
        guard let server, server.process.isRunning else { return }
        let pid = server.process.processIdentifier
        kill(pid, immediate ? SIGQUIT : SIGINT)
        let deadline = Date(timeIntervalSinceNow: 30)
        while server.process.isRunning && Date() < deadline { usleep(20_000) }
        if server.process.isRunning { kill(pid, SIGKILL) }
        _ = try? server.wait(timeout: 10)
        self.server = nil
    }

    /// Runs SQL through psql; returns its unaligned, tuples-only output.
    @discardableResult
    func sql(_ statement: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let r = try CLIProcess.run(
            [Self.psql!, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", "ledger",
             "-d", "postgres", "-c", statement], timeout: 60)
        #expect(r.status == 0, "psql \(statement): \(r)", sourceLocation: sourceLocation)
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `SELECT count(*) FROM <from>`, or nil while the table does not exist (no expectation:
    /// for polling).
    func count(_ from: String) -> Int? {
        let r = try? CLIProcess.run(
            [Self.psql!, "-X", "-q", "-t", "-A", "-h", "127.0.0.1", "-p", "\(port)", "-U", "ledger", "-d", "postgres",
             "-c", "SELECT count(*) FROM \(from)"], timeout: 60)
        guard let r, r.status == 0 else { return nil }
        return Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private func run(_ arguments: [String], timeout: Double) throws -> CLIResult {
        let prefix = getuid() == 0 ? ["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] : []
        return try CLIProcess.run(prefix + arguments, timeout: timeout)
    }

    /// A loopback port no one listens on now (bound, read, released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClusterError(description: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Int32 in
                guard bind(fd, p, length) == 0 else { return -1 }
                return getsockname(fd, p, &length)
            }
        }
        guard bound == 0 else { throw ClusterError(description: "bind() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct ClusterError: Error, CustomStringConvertible { var description: String }

/// Any program run to its end, with a time limit (the `ledger` binary has `CLI.run`).
enum CLIProcess {
    static func run(_ arguments: [String], stdin: String = "", timeout: Double) throws -> CLIResult {
        let scratch = try TempDir()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        let out = scratch.at("out"), err = scratch.at("err"), input = try scratch.write("in", stdin)
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: err, contents: nil)
        let o = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        let e = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        let i = try FileHandle(forReadingFrom: URL(fileURLWithPath: input))
        defer {
            try? o.close()
            try? e.close()
            try? i.close()
        }
        process.standardOutput = o
        process.standardError = e
        process.standardInput = i
        try process.run()
        try process.waitForExit(within: timeout, arguments.joined(separator: " "))
        return CLIResult(status: process.terminationStatus, stdout: try scratch.read("out"), stderr: try scratch.read("err"))
    }
}
