import CampaignLedger
import Foundation
import Testing

/// A small tmpfs, mounted for one test (needs root and a kernel that lets this sandbox mount).
final class SmallDisk {
    let mountPoint: TempDir
    var path: String { mountPoint.path }

    /// Whether a tmpfs can be mounted here (tried once).
    static let canMount: Bool = {
        guard geteuid() == 0, let disk = try? SmallDisk(kib: 64) else { return false }
        _ = disk
        return true
    }()

    init(kib: Int) throws {
        mountPoint = try TempDir()
        guard Self.command("/bin/mount", ["-t", "tmpfs", "-o", "size=\(kib)k", "tmpfs", mountPoint.path]) == 0 else {
            throw CocoaError(.fileWriteNoPermission)
        }
    }

    deinit { _ = Self.command("/bin/umount", ["-l", mountPoint.path]) }

    /// Fills the disk with `filler` until a write fails (ENOSPC), then gives `leaving` bytes back.
    func fill(_ name: String = "filler", leaving: Int = 0) {
        let fd = open(mountPoint.at(name), O_WRONLY | O_CREAT | O_APPEND, 0o644)
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 4096)
        var total = 0
        while true {
            let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            total += n
        }
        ftruncate(fd, off_t(max(0, total - leaving)))
    }

    func free(_ name: String = "filler") throws { try FileManager.default.removeItem(atPath: mountPoint.at(name)) }

    private static func command(_ tool: String, _ arguments: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil, (try? p.waitForExit(within: 60, tool)) != nil else { return -1 }
        return p.terminationStatus
    }
}

/// Full disk (DESIGN.md §7): a ledger on a small tmpfs that fills up refuses appends
/// with one clear line and exit 69, loses nothing committed, and appends again once space is
/// freed. The map (address space) is another matter: it grows by itself (LMDBTests).
@Suite(.enabled(if: SmallDisk.canMount, "needs root and permission to mount a tmpfs"), .serialized, .timeLimit(.minutes(10)))
struct CLIFullDiskTests {
    /// A `contact.added` with a 30 KiB `meta`: each needs several new pages, so the file must grow.
    static func bigEvent(_ n: Int) -> String {
        let pad = String(repeating: "x", count: 30_000)
        return #"{"id":"full-\#(n)","type":"contact.added","campaign":"reminders","contact":"big\#(n)","address":"+4206080\#(String(format: "%05d", n))","at":"2026-11-20T08:04:00Z","meta":{"pad":"\#(pad)"}}"#
    }

    @Test func aFullDiskRefusesAppendsWithExit69AndLosesNothing() throws {
        let disk = try SmallDisk(kib: 2048)
        let store = disk.mountPoint.at("store")
        let dir = try TempDir()
        let file = try dir.write("f.jsonl", Fixture.text)
        #expect(try CLI.run(["import", file], store: store).status == 0)
        disk.fill(leaving: 256 * 1024)
        var acknowledged: [String] = []
        var refused: CLIResult?
        for n in 0..<300 {
            let r = try CLI.run(["append", "--json"], store: store, stdin: Self.bigEvent(n))
            if r.status != 0 {
                refused = r
                break
            }
            acknowledged.append(try r.json()["id"].string ?? "?")
        }
        let failure = try #require(refused, "300 big appends on a full 2 MiB disk all succeeded")
        #expect(!acknowledged.isEmpty, "the 256 KiB left should take a few appends")
        #expect(failure.status == 69, "\(failure)")
        let lines = failure.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("ledger: ") && lines[0].contains("full"), "\(failure)")
        #expect(failure.stdout.isEmpty)
        // An import on the full disk: the same error, not a bad line.
        let more = try dir.write("more.jsonl", (0..<20).map { Self.bigEvent(1000 + $0) }.joined(separator: "\n"))
        let imported = try CLI.run(["import", more, "--batch-size", "5"], store: store)
        #expect(imported.status == 69, "\(imported)")
        #expect(imported.stderr.hasPrefix("ledger: the disk holding") && imported.stderr.split(separator: "\n").count == 1, "\(imported)")

        // Nothing committed is lost, and the store verifies while the disk is still full.
        let verify = try CLI.run(["verify", "--json"], store: store)
        #expect(verify.status == 0, "\(verify)")
        #expect(try verify.json()["eventsChecked"].int == Fixture.appended + acknowledged.count)
        let exported = try CLI.run(["export", "--campaign", "reminders"], store: store)
        for id in acknowledged { #expect(exported.stdout.contains(#""id":"\#(id)""#), "\(id) lost") }

        // Space freed: appends work again.
        try disk.free()
        let again = try CLI.run(["append"], store: store, stdin: Self.bigEvent(999))
        #expect(again.status == 0, "\(again)")
        #expect(again.stdout == "appended \(Fixture.appended + acknowledged.count + 1)\n")
        #expect(try CLI.run(["verify"], store: store).status == 0)
    }

    /// A rebuild writes a whole new build: on a full disk it stops with the same one line and
    /// exit 69 as an append, the store still verifies, the old build still answers, and once
    /// space is freed the rebuild finishes.
    @Test func aRebuildOnAFullDiskExits69AndTheOldBuildStillServes() throws {
        let disk = try SmallDisk(kib: 2048)
        let store = disk.mountPoint.at("store")
        let dir = try TempDir()
        var lines = [#"{"id":"rb-c","type":"campaign.created","campaign":"bulk","channel":"sms","at":"2026-11-20T08:00:00Z","name":"Bulk"}"#]
        for n in 0..<800 {
            lines.append(#"{"id":"rb-\#(n)","type":"contact.added","campaign":"bulk","contact":"k\#(n)","address":"+4206090\#(String(format: "%05d", n))","at":"2026-11-20T08:01:00Z"}"#)
        }
        let file = try dir.write("bulk.jsonl", lines.joined(separator: "\n") + "\n")
        let imported = try CLI.run(["import", file], store: store)
        try #require(imported.status == 0, "\(imported)")
        let before = try CLI.run(["campaign", "show", "bulk", "--json"], store: store)
        try #require(before.status == 0, "\(before)")
        disk.fill()

        let rebuild = try CLI.run(["rebuild"], store: store)
        #expect(rebuild.status == 69, "\(rebuild)")
        let errors = rebuild.stderr.split(separator: "\n").filter { $0.hasPrefix("ledger: ") }
        #expect(errors.count == 1 && errors[0].contains("is full"), "\(rebuild)")
        #expect(!rebuild.stderr.contains("internal error"), "\(rebuild)")

        let verify = try CLI.run(["verify"], store: store)
        #expect(verify.status == 0, "\(verify)")
        let after = try CLI.run(["campaign", "show", "bulk", "--json"], store: store)
        #expect(after.status == 0, "\(after)")
        #expect(try after.json() == before.json(), "the old build answers as before")
        let builds = try CLI.run(["projections", "list", "--json"], store: store).json()
        #expect(builds.array.filter { $0["state"].string == "active" }.map { $0["build"].int } == [1], "\(builds)")

        try disk.free()
        let again = try CLI.run(["rebuild"], store: store)
        #expect(again.status == 0, "\(again)")
        #expect(try CLI.run(["verify"], store: store).status == 0)
    }

    /// The same in one long-lived process (an embedder): the `Ledger` that hit the full disk
    /// appends again once space is freed, without being reopened.
    @Test func anEmbeddedLedgerAppendsAgainAfterSpaceIsFreed() throws {
        let disk = try SmallDisk(kib: 2048)
        let ledger = try Ledger(.init(path: disk.mountPoint.at("store")))
        try ledger.importLines(Array(Fixture.text.utf8))
        disk.fill(leaving: 256 * 1024)
        var failure: (any Error)?
        var appended = 0
        for n in 0..<300 {
            do {
                let line = Array(Self.bigEvent(n).utf8)
                try ledger.appendAndWait([try #require(try EventLineParser.parse(line)).event])
                appended += 1
            } catch {
                failure = error
                break
            }
        }
        let error = try #require(failure as? LedgerError, "\(String(describing: failure))")
        #expect(appended > 0, "the 256 KiB left should take a few appends")
        #expect(error.exitCode == 69, "\(error)")
        #expect(try ledger.verify().isOK)
        try disk.free()
        let line = Array(Self.bigEvent(999).utf8)
        let outcome = try ledger.appendAndWait([try #require(try EventLineParser.parse(line)).event])
        #expect(outcome.first?.position == UInt64(Fixture.appended + appended + 1))
        let report = try ledger.verify()
        #expect(report.isOK, "\(report.problems)")
    }
}
