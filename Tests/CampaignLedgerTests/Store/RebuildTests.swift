import Foundation
import LMDB
import Testing
@testable import CampaignLedger
import CampaignLedgerDemo

@Suite(.timeLimit(.minutes(10))) struct RebuildTests {
    /// A realistic history as JSON Lines.
    func history(seed: UInt64 = 7, campaigns: Int = 4, contacts: Int = 40) -> [UInt8] {
        var lines: [String] = []
        HistoryGenerator(seed: seed, campaigns: campaigns, contactsPerCampaign: contacts).generate { lines.append($0) }
        return jsonl(lines)
    }

    func answers(_ ledger: Ledger) throws -> [JSONOutput] {
        let list = try ledger.campaignListJSON()
        var out: [JSONOutput] = [try ledger.metricsJSON()]
        for c in list.arrayValue ?? [] {
            let id = c["campaign"]!.stringValue!
            out.append(try ledger.campaignJSON(id)["metrics"]!)
            out.append(try ledger.contactListJSON(campaign: id))
        }
        return out
    }

    @Test func rebuildEqualsTheInlineBuildAndActivates() throws {
        let ledger = try makeLedger()
        try ledger.importLines(history())
        let before = try answers(ledger)
        let summary = try ledger.rebuild(verify: true, chunk: 97)
        #expect(summary.build == 2)
        #expect(summary.fingerprintMatches == true)
        #expect(summary.activated)
        #expect(try ledger.projectionBuild == 2)
        #expect(try answers(ledger) == before)
        let builds = try ledger.builds()
        #expect(builds.map(\.state) == [.ready, .active])
        #expect(builds[0].fingerprint == builds[1].fingerprint)
        // Both builds are maintained inline from now on.
        try ledger.importLines(history(seed: 8, campaigns: 2, contacts: 10).map { $0 })
        let after = try ledger.builds()
        #expect(after[0].checkpoint == after[1].checkpoint)
        #expect(after[0].fingerprint == after[1].fingerprint)
        #expect(try ledger.verify().isOK)
    }

    /// The bulk phase folds shares of the contacts on `threads` threads: any number of them gives
    /// the inline build's records exactly.
    @Test(arguments: [1, 3, 5])
    func anyNumberOfThreadsGivesTheInlineBuild(threads: Int) throws {
        let ledger = try makeLedger()
        try ledger.importLines(history(seed: UInt64(threads)))
        let summary = try ledger.rebuild(verify: true, threads: threads)
        #expect(summary.fingerprintMatches == true)
        #expect(try ledger.verify().isOK)
    }

    /// The entries of a build's message-id index (`b<N>.refs`), as stored.
    func refEntries(_ ledger: Ledger, build: Int) throws -> [[UInt8]: [UInt8]] {
        let db = try #require(try ledger.store.storage(UInt32(build)).refs)
        return try ledger.store.environment.read { txn in
            var out: [[UInt8]: [UInt8]] = [:]
            try txn.forEach(db) { key, value in
                out[Array(key)] = Array(value)
                return true
            }
            return out
        }
    }

    /// The bulk phase fills the message-id index from the shares' folds: on any number of
    /// threads, the index the inline build kept as events arrived, entry for entry, including a
    /// message id reported for two contacts (the first report wins).
    @Test(arguments: [1, 2, 3])
    func theBulkPhaseGivesTheInlineMessageIDIndex(threads: Int) throws {
        let ledger = try makeLedger()
        try ledger.importLines(history(seed: UInt64(20 + threads)))
        var first: (campaign: String, contact: String, ref: String)?
        var other: (contact: String, status: String)?
        try ledger.export { line in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                o["type"] as? String == "contact.status" else { return }
            if first == nil, let ref = o["providerRef"] as? String {
                first = (o["campaign"] as! String, o["contact"] as! String, ref)
            } else if let f = first, other == nil, o["campaign"] as? String == f.campaign, o["contact"] as? String != f.contact {
                other = (o["contact"] as! String, o["status"] as! String)
            }
        }
        let f = try #require(first)
        let (contact, status) = try #require(other)
        let late = try ledger.importLines(jsonl([
            #"{"type":"contact.status","campaign":"\#(f.campaign)","contact":"\#(contact)","status":"\#(status)","at":"2026-12-01T08:00:00Z","providerRef":"\#(f.ref)","attempt":9}"#
        ]))
        #expect(late.appended == 1, "\(late.rejected)")
        let inline = try refEntries(ledger, build: 1)
        #expect(inline.count > 10)
        let summary = try ledger.rebuild(verify: true, threads: threads)
        let rebuilt = try refEntries(ledger, build: summary.build)
        let differing = Set(inline.keys).union(rebuilt.keys).filter { inline[$0] != rebuilt[$0] }
        #expect(differing.isEmpty, "\(differing.count) of \(inline.count) entries differ, e.g. \(differing.first.map { String(decoding: $0, as: UTF8.self) } ?? "")")
        let target = try #require(try ledger.store.environment.read { txn in
            try ledger.store.storage(UInt32(summary.build)).refTarget(f.ref, txn)
        })
        #expect(target.contact == f.contact, "the first report of \(f.ref) names \(f.contact), a later one \(contact)")
    }

    /// A message id's index entry made from a record in place is the one `ProviderRefs` encodes.
    @Test func aRecordsMessageIDEntryIsTheEncodedTarget() throws {
        let e = try event(#"{"id":"s1","type":"contact.status","campaign":"spring","contact":"c1","status":"sent","at":"2026-11-20T08:02:00Z","providerRef":"wamid.A","attempt":3}"#)
        let record = EventRecord.encode(RecordedEvent(position: 7, recordedAtMicros: 1, event: e, addressSalt: nil, hash: [UInt8](repeating: 0, count: 32)))
        let (key, value) = try record.withUnsafeBytes { raw in
            let view = try RecordView(raw)
            return (Array(try #require(view.providerRefKey)), view.providerRefValue())
        }
        #expect(key == Array("wamid.A".utf8))
        #expect(value == ProviderRefs.encode(.init(campaign: "spring", contact: "c1", attempt: 3)))
        #expect(ProviderRefs.decode(value) == .init(campaign: "spring", contact: "c1", attempt: 3))
    }

    /// The bulk phase's threads hand their work to the writing thread: a damaged record, or a
    /// progress callback that stops the rebuild, ends every thread and the rebuild with the
    /// error (never a hang), and leaves no build active but the old one.
    @Test(arguments: [1, 2, 3])
    func aFailingBulkPhaseStopsEveryThread(threads: Int) throws {
        let (path, head) = try TamperTests.store()
        let target = head / 2
        do {
            let env = try Environment.open(path: path)
            let events = try env.openDatabases(["events"], create: false)[0]
            try env.write { txn in
                var bytes = try #require(try txn.get(events, TamperTests.key(target)))
                bytes[1] = 0xEE  // an unknown event type
                try txn.put(events, TamperTests.key(target), bytes)
            }
        }
        let ledger = try Ledger(.init(path: path))
        let before = try ledger.builds().filter { $0.state == .active }.map(\.number)
        #expect {
            try ledger.rebuild(chunk: 1, threads: threads)
        } throws: { error in
            "\(error)".contains("position \(target)")
        }
        struct Stop: Error {}
        let intact = try makeLedger()
        try intact.importLines(history(seed: 3))
        #expect(throws: Stop.self) {
            try intact.rebuild(threads: threads) { _ in throw Stop() }
        }
        #expect(try intact.builds().filter { $0.state == .active }.map(\.number) == [1])
        #expect(try ledger.builds().filter { $0.state == .active }.map(\.number) == before)
    }

    @Test func noActivateRollbackAndDrop() throws {
        let ledger = try makeLedger()
        try ledger.importLines(history(campaigns: 2, contacts: 10))
        let summary = try ledger.rebuild(activate: false)
        #expect(!summary.activated)
        #expect(try ledger.projectionBuild == 1)
        try ledger.activate(build: 2)
        #expect(try ledger.projectionBuild == 2)
        try ledger.activate(build: 1)  // rollback
        #expect(try ledger.projectionBuild == 1)
        #expect {
            try ledger.drop(build: 1)
        } throws: { ($0 as? LedgerError)?.exitCode == 64 }
        try ledger.drop(build: 2)
        #expect(try ledger.builds().map(\.number) == [1])
        #expect(throws: LedgerError.self) { try ledger.activate(build: 2) }
        #expect(try ledger.verify().isOK)
    }

    /// Every build not dropped has three databases open in each process; a store at the limit
    /// still opens and lists them, and a further rebuild asks to drop old ones (exit 69).
    @Test func aStoreAtTheBuildLimitOpensAndAsksToDrop() throws {
        let path = newStorePath()
        do {
            let ledger = try Ledger(.init(path: path))
            try ledger.importLines(history(campaigns: 1, contacts: 3))
            for _ in 2...LedgerStore.maxLiveBuilds { _ = try ledger.rebuild(activate: false) }
            #expect {
                try ledger.rebuild(activate: false)
            } throws: { error in
                guard let e = error as? LedgerError, case .unavailable(let text) = e else { return false }
                return e.exitCode == 69 && text.contains("projections drop")
            }
        }
        let reopened = try Ledger(.init(path: path))
        #expect(try reopened.builds().count == LedgerStore.maxLiveBuilds)
        try reopened.drop(build: 2)
        #expect(try reopened.rebuild(activate: false).build == LedgerStore.maxLiveBuilds + 1)
        #expect(try reopened.verify().isOK)
    }

    @Test func anInterruptedRebuildIsResumed() throws {
        let ledger = try makeLedger()
        try ledger.importLines(history())
        // Interrupted in its bulk phase (the fold): nothing of the build is written yet.
        #expect(throws: InterruptBox.self) {
            try ledger.rebuild(chunk: 50) { _ in throw InterruptBox.interrupt }
        }
        let partial = try ledger.builds()
        #expect(partial.map(\.state) == [.active, .building])
        #expect(partial[1].checkpoint == 0)
        let summary = try ledger.rebuild(verify: true, chunk: 50)
        #expect(summary.resumed)
        #expect(summary.build == 2, "the interrupted build is finished, not a new one started")
        #expect(summary.events == partial[0].checkpoint)
        #expect(summary.fingerprintMatches == true)
        #expect(try ledger.verify().isOK)
    }

    @Test func aSecondRebuildAtTheSameTimeIsBusy() throws {
        let ledger = try makeLedger()
        try ledger.importLines(history(campaigns: 2, contacts: 10))
        let lock = try RebuildLock(path: ledger.path)
        defer { lock.release() }
        #expect {
            try ledger.rebuild()
        } throws: { ($0 as? LedgerError)?.exitCode == 69 }
    }

    @Test func aLaggingBuildIsCaughtUpOnOpen() throws {
        let path = newStorePath()
        let data = history()
        let lines = splitLines(data)
        let half = Array(data[0..<lines[lines.count / 2].upperBound]) + [0x0A]
        do {
            let ledger = try Ledger(.init(path: path))
            _ = try ledger.importLines(half)
            // Another process, with other rules, appends: it does not maintain build 1.
            try setRules(ledger, build: 1, to: "someone-else's-rules")
            _ = try ledger.importLines(data)
            try setRules(ledger, build: 1, to: BuiltInProjection.rulesID)
            let lagging = try ledger.builds()[0]
            #expect(lagging.lag > 0)
            // Verify says the projections were not compared rather than that they hold.
            let report = try ledger.verify()
            #expect(report.isOK)
            #expect(report.projectionLag == UInt64(lagging.lag))
        }
        let reopened = try Ledger(.init(path: path))
        #expect(try reopened.builds()[0].lag == 0)
        let report = try reopened.verify()
        #expect(report.isOK)
        #expect(report.projectionLag == 0)
    }

    @Test func aReadOnlyProcessNeverWritesAndAnswersALaggingBuildByFolding() throws {
        let path = newStorePath()
        let data = history()
        let lines = splitLines(data)
        let half = Array(data[0..<lines[lines.count / 2].upperBound]) + [0x0A]
        let writer = try Ledger(.init(path: path))
        _ = try writer.importLines(half)
        try setRules(writer, build: 1, to: "someone-else's-rules")
        _ = try writer.importLines(data)
        try setRules(writer, build: 1, to: BuiltInProjection.rulesID)
        var configuration = Ledger.Configuration(path: path)
        configuration.catchUpOnOpen = false
        let reader = try Ledger(configuration)
        let lag = try reader.builds()[0].lag
        #expect(lag > 0, "the reader did not catch the build up")
        let fresh = Projector(try reader.events(from: 1, limit: .max))
        for entry in fresh.campaigns {
            #expect(try reader.campaignJSON(entry.id)["metrics"] == fresh.metrics(entry.id))
            #expect(try reader.contactListJSON(campaign: entry.id) == fresh.contactList(entry.id))
        }
        #expect(try reader.metricsJSON() == fresh.channelMetrics())
        #expect(try reader.builds()[0].lag == lag, "and it wrote nothing")
    }

    @Test func rebuildWhileAnotherProcessAppends() throws {
        let ledger = try makeLedger()
        try ledger.importLines(history(seed: 1, campaigns: 6, contacts: 150))
        // Another process appends one event at a time (each `ledger append` its own process),
        // events of other campaigns with other ids, while this one rebuilds.
        var lines: [String] = []
        HistoryGenerator(seed: 2, campaigns: 1, contactsPerCampaign: 60).generate { lines.append($0) }
        let live = lines.prefix(120).map {
            $0.replacingOccurrences(of: #""campaign":""#, with: #""campaign":"b-"#)
                .replacingOccurrences(of: #""id":""#, with: #""id":"b-"#)
        }
        let file = URL(fileURLWithPath: newStorePath("live") + ".jsonl")
        try Data(jsonl(Array(live))).write(to: file)
        let binary = try #require(ledgerBinary, "build the package first: swift build (no .build/debug/ledger or .build/release/ledger)")
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sh")
        child.arguments = ["-c", "while IFS= read -r line; do printf '%s\\n' \"$line\" | \"$0\" append --store \"$1\" >/dev/null || exit 1; done < \"$2\"",
                           binary, ledger.path, file.path]
        try child.run()
        defer {
            // A failed wait below leaves the child running: it must not outlive the test.
            if child.isRunning {
                kill(child.processIdentifier, SIGKILL)
                child.waitUntilExit()
            }
        }
        let startHead = try ledger.head().position
        try waitUntil("3 appends by the child", within: 120) {
            let appended = try ledger.head().position >= startHead + 3
            try #require(appended || child.isRunning, "the appending child exited (\(child.terminationStatus)) before 3 appends")
            return appended
        }
        let summary = try ledger.rebuild(chunk: 100)
        let headAfterRebuild = try ledger.head().position
        try waitUntil("exit of the appending child", within: 300) { !child.isRunning }
        #expect(child.terminationStatus == 0)
        #expect(summary.activated)
        #expect(summary.events > startHead, "the rebuild caught up with appends made while it ran")
        #expect(headAfterRebuild > startHead)
        let builds = try ledger.builds()
        let head = try ledger.head().position
        #expect(head == startHead + UInt64(live.count))
        #expect(builds.allSatisfy { $0.checkpoint == head })
        #expect(builds[0].fingerprint == builds[1].fingerprint)
        #expect(try ledger.verify().isOK)
    }

    private func setRules(_ ledger: Ledger, build: UInt32, to rules: String) throws {
        try ledger.store.environment.write { txn in
            var info = try ledger.store.buildInfo(build, txn)!
            info.rulesID = rules
            try txn.put(ledger.store.layout.builds, build.bigEndianBytes, info.bytes)
        }
    }
}

enum InterruptBox: Error { case interrupt }
