import Foundation
import NIOHTTP1
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `ledger serve` when the store cannot take writes (503 with `Retry-After`, http.md §2), and
/// the event stream behind a consumer that reads nothing (no read transaction held open).
@Suite(.serialized, .enabled(if: ledgerBinary != nil, "build the package first: swift build"))
struct ServerStoreTests {
    static let setpriv = "/usr/bin/setpriv"
    /// Root ignores file permissions: as root, the server runs as `nobody` through setpriv(1).
    static let canRunWithoutRoot = getuid() != 0 || FileManager.default.isExecutableFile(atPath: setpriv)

    /// A store whose files nobody may write: reads answer, appends and rebuilds answer 503 with
    /// `Retry-After`, and nothing in the directory changes.
    @Test(
        .timeLimit(.minutes(2)),
        .enabled(if: canRunWithoutRoot, "runs as root without /usr/bin/setpriv: file permissions cannot stop root's writes"))
    func aReadOnlyStoreAnswersReadsAnd503ToWrites() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = try Sample.store(in: scratch)
        let files = FileManager.default
        for item in try files.contentsOfDirectory(atPath: store) {
            try files.setAttributes([.posixPermissions: 0o444], ofItemAtPath: store + "/" + item)
        }
        try files.setAttributes([.posixPermissions: 0o555], ofItemAtPath: store)
        try files.setAttributes([.posixPermissions: 0o755], ofItemAtPath: scratch.url.path)
        let before = try snapshot(store)
        let launcher = getuid() == 0 ? [Self.setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"] : []
        let server = try Server(store: store, scratch: scratch, launcher: launcher)
        defer { server.stopIfRunning() }
        try await server.waitHealthy()

        #expect(try await server.request(.GET, "/v1/campaigns/spring").status == 200)
        let append = try await server.request(.POST, "/v1/events", body: "[\(addContact("spring", "c4", id: "ro1"))]")
        expectUnavailable(append, mentioning: "read-only")
        let rebuild = try await server.request(.POST, "/v1/rebuild")
        expectUnavailable(rebuild, mentioning: "read-only")
        #expect(try await server.request(.GET, "/v1/head").body.hasPrefix(#"{"position":12,"#))
        #expect(try server.stop() == 0, "\(server.log.suffix(2000))")
        #expect(try snapshot(store) == before, "the read-only store changed")
    }

    /// A store on a small disk that fills up: appends answer 503 with `Retry-After` and one line
    /// saying the disk is full; every acknowledged event is kept; once space is freed the same
    /// server appends again.
    @Test(.timeLimit(.minutes(3)), .enabled(if: Tmpfs.canMount, "needs root and permission to mount a tmpfs"))
    func aFullDiskAnswers503AndAppendsAgainOnceSpaceIsFreed() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let disk = try Tmpfs(at: scratch.path("disk"), kib: 2048)
        defer { disk.unmount() }
        let store = try Sample.store(in: scratch, at: disk.path + "/store")
        let server = try Server(store: store, scratch: scratch)
        defer { server.stopIfRunning() }
        try await server.waitHealthy()
        disk.fill(leaving: 256 * 1024)

        // Events of 30 KiB each: the 256 KiB left take a few, then the disk is full.
        var acknowledged: [String] = []
        var refused: Server.Answer?
        for n in 0..<300 {
            let a = try await server.request(.POST, "/v1/events", body: "[\(Self.bigEvent(n))]")
            guard a.status == 200 else {
                refused = a
                break
            }
            acknowledged.append("full-\(n)")
        }
        let failure = try #require(refused, "300 appends of 30 KiB on a full 2 MiB disk all succeeded")
        #expect(!acknowledged.isEmpty, "the 256 KiB left should take a few appends")
        expectUnavailable(failure, mentioning: "full")
        // Reads still answer while the disk is full.
        #expect(try await server.request(.GET, "/v1/campaigns/spring").status == 200)

        // Space freed: the same server appends again.
        try disk.free()
        let again = try await server.request(.POST, "/v1/events", body: "[\(Self.bigEvent(999))]")
        #expect(again.status == 200, "\(again.body)")
        acknowledged.append("full-999")
        #expect(try server.stop() == 0, "\(server.log.suffix(2000))")
        try expectStore(store, holds: acknowledged)
    }

    /// A consumer of `GET /v1/events/stream` that reads nothing while 16 MiB of events are
    /// appended (far more than the sockets' buffers): no read transaction of the server stays
    /// open behind it (LMDB's reader table, `mdb_stat -r`, has no reader holding a snapshot),
    /// and once it reads again it gets every event in order, without a gap or a repeat.
    @Test(
        .timeLimit(.minutes(4)),
        .enabled(if: FileManager.default.isExecutableFile(atPath: mdbStat), "needs \(mdbStat) (Debian's lmdb-utils)"))
    func aStuckStreamConsumerHoldsNoReadTransaction() async throws {
        let (scratch, store, server) = try await startSample()
        defer { server.stopIfRunning(); scratch.remove() }
        let fd = try connectLoopback(port: server.port, receiveBuffer: 4096)
        defer { close(fd) }
        #expect(sendAll(fd, "GET /v1/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))

        // 80 requests of 100 events of about 2 KiB each, while the consumer reads nothing.
        let batches = 80, perBatch = 100
        for b in 0..<batches {
            let events = (0..<perBatch).map { Self.paddedEvent("stuck-\(b)-\($0)", pad: 2000) }
            let a = try await server.request(.POST, "/v1/events", body: "[" + events.joined(separator: ",") + "]")
            try #require(a.status == 200, "batch \(b): \(a.status) \(a.body.prefix(300))")
        }
        let head = 12 + batches * perBatch
        // The stream is stuck writing; give any read transaction it would hold time to show.
        try await Task.sleep(for: .milliseconds(500))
        let readers = try readerTable(store)
        #expect(readers.active.isEmpty, "read transactions open behind the stuck consumer: \(readers.text)")

        // Reading again: every position once, in order, up to the head.
        let ids = try streamIDs(fd, upTo: UInt64(head), within: .seconds(120))
        #expect(ids.count == head, "read \(ids.count) of \(head) events; the last \(ids.last ?? 0)")
        #expect(ids == Array(1...UInt64(head)), "the stream skipped or repeated a position")
    }

    // MARK: Helpers

    static let mdbStat = "/usr/bin/mdb_stat"

    /// A `contact.added` with a 30 KiB `meta`: each needs several new pages, so the file grows.
    static func bigEvent(_ n: Int) -> String { paddedEvent("full-\(n)", pad: 30_000) }

    /// A `contact.added` of campaign `spring` whose id and contact are `id`, with `pad` bytes of
    /// `meta`.
    static func paddedEvent(_ id: String, pad: Int) -> String {
        #"{"id":"\#(id)","type":"contact.added","campaign":"spring","contact":"\#(id)","address":"+420600000000","at":"2026-11-20T10:00:00Z","meta":{"pad":"\#(String(repeating: "x", count: pad))"}}"#
    }

    private func expectUnavailable(_ a: Server.Answer, mentioning word: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.status == 503, "\(a.status) \(a.body)", sourceLocation: sourceLocation)
        #expect(a.body.hasPrefix(#"{"error":{"status":503,"code":"unavailable","message":""#), "\(a.body)", sourceLocation: sourceLocation)
        #expect(a.body.contains(word), "\(a.body)", sourceLocation: sourceLocation)
        let retry = a.headers.first(name: "retry-after").flatMap(Int.init)
        #expect(retry.map { $0 >= 1 } == true, "Retry-After: \(a.headers.first(name: "retry-after") ?? "missing")", sourceLocation: sourceLocation)
    }

    /// Names, sizes and modification times of the files of `directory`.
    private func snapshot(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted().map { name in
            let a = try FileManager.default.attributesOfItem(atPath: directory + "/" + name)
            return "\(name) \(a[.size] ?? 0) \(a[.modificationDate] ?? "")"
        }
    }

    /// The store verifies and holds every id of `ids`.
    private func expectStore(_ store: String, holds ids: [String]) throws {
        let verify = try ledger(["verify", "--store", store])
        #expect(verify.status == 0, "\(verify.out)\(verify.err)")
        let export = try ledger(["export", "--store", store]).out
        let missing = ids.filter { !export.contains(#""id":"\#($0)""#) }
        #expect(missing.isEmpty, "acknowledged events missing: \(missing)")
    }

    /// LMDB's reader table of `store` (`mdb_stat -r`): the slots with a transaction open (a
    /// txnid, not `-`), and the whole output for messages.
    private func readerTable(_ store: String) throws -> (active: [String], text: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.mdbStat)
        p.arguments = ["-r", store]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        // Its exit status is not 0 even when it worked (Debian's 0.9.x); the title says it read the table.
        try #require(text.contains("Reader Table Status"), "mdb_stat -r failed (\(p.terminationStatus)): \(text)")
        // Slot lines: `PID THREAD TXNID`, the pid in decimal; TXNID `-` when the slot is idle.
        let active = text.split(separator: "\n").filter { line in
            let f = line.split(separator: " ")
            return f.count == 3 && Int(f[0]) != nil && f[2] != "-"
        }.map(String.init)
        return (active, text)
    }

    /// Reads the raw (chunked) event stream on `fd` until the event at `last`: the `id:` of each
    /// event. Chunk boundaries fall between events (each write of the server ends an event).
    private func streamIDs(_ fd: Int32, upTo last: UInt64, within limit: Duration) throws -> [UInt64] {
        let started = ContinuousClock.now
        var ids: [UInt64] = []
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while ContinuousClock.now - started < limit {
            var poll = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard Glibc.poll(&poll, 1, 200) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { break }
            pending += buffer[..<n]
            var lineStart = 0
            for i in pending.indices where pending[i] == 0x0A {
                let line = pending[lineStart..<i]
                lineStart = i + 1
                if line.starts(with: Array("id: ".utf8)), let id = UInt64(String(decoding: line.dropFirst(4), as: UTF8.self)) {
                    ids.append(id)
                    if id == last { return ids }
                }
            }
            pending.removeFirst(lineStart)
        }
        return ids
    }
}

/// A small tmpfs mounted at a directory for one test (needs root and a kernel that lets this
/// sandbox mount).
final class Tmpfs: @unchecked Sendable {
    let path: String
    private var mounted = false

    /// Whether a tmpfs can be mounted here (tried once).
    static let canMount: Bool = {
        guard geteuid() == 0, let scratch = try? Scratch(), let disk = try? Tmpfs(at: scratch.path("probe"), kib: 64) else { return false }
        disk.unmount()
        return true
    }()

    init(at path: String, kib: Int) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard Self.command("/bin/mount", ["-t", "tmpfs", "-o", "size=\(kib)k", "tmpfs", path]) == 0 else {
            throw CocoaError(.fileWriteNoPermission)
        }
        mounted = true
    }

    func unmount() {
        if mounted { _ = Self.command("/bin/umount", ["-l", path]) }
        mounted = false
    }

    deinit { unmount() }

    /// Takes all the free space but `leaving` bytes with a file `filler`.
    func fill(leaving: Int) {
        var fs = statvfs()
        guard statvfs(path, &fs) == 0 else { return }
        let free = Int(fs.f_bavail) * Int(fs.f_frsize)
        let fd = open(path + "/filler", O_WRONLY | O_CREAT, 0o644)
        defer { close(fd) }
        _ = posix_fallocate(fd, 0, off_t(max(4096, free - leaving)))
    }

    func free() throws { try FileManager.default.removeItem(atPath: path + "/filler") }

    private static func command(_ tool: String, _ arguments: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }
}
