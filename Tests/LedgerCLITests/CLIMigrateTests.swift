import CampaignLedger
import Foundation
import LMDB
import Testing

/// Store format 2 and the migration from format 1 (docs/format.md, "Format 1 and the migration"):
/// a store made by the previous release (Tests/Fixtures/format1-store) answers as it did, exports
/// the same bytes and verifies against a checkpoint taken before; a migration killed at any
/// moment leaves a store that migrates again to the same answers.
@Suite(.timeLimit(.minutes(10)))
struct CLIMigrateTests {
    static let fixture = CLI.packageRoot.appendingPathComponent("Tests/Fixtures/format1-store")

    static func answer(_ name: String) throws -> String {
        String(decoding: try Data(contentsOf: fixture.appendingPathComponent("answers/\(name)")), as: UTF8.self)
    }

    /// A copy of the format-1 store in a fresh directory.
    static func copyOfFixture(_ dir: TempDir) throws -> String {
        let store = dir.at("store")
        try FileManager.default.copyItem(atPath: fixture.appendingPathComponent("store").path, toPath: store)
        return store
    }

    static let campaigns = ["contract-renewal-call-002", "spring-promo", "winter-sale-sms-001"]

    /// Every query answer saved in the fixture, asked again of `store`.
    static func expectSameAnswers(_ store: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var asked: [(file: String, arguments: [String])] = [
            ("campaigns.json", ["campaign", "list", "--json"]), ("metrics.json", ["metrics", "--json"]),
            ("history-spring-promo-c-0001.json", ["history", "spring-promo", "c-0001", "--json"]),
        ]
        for c in campaigns {
            asked.append(("contacts-\(c).json", ["contact", "list", c, "--json"]))
            asked.append(("metrics-\(c).json", ["metrics", c, "--json"]))
            asked.append(("history-\(c).json", ["history", c, "--json"]))
        }
        for (file, arguments) in asked {
            let r = try CLI.run(arguments, store: store)
            #expect(r.status == 0, "\(arguments): \(r)", sourceLocation: sourceLocation)
            let expected = try JSON.parse(try answer(file))
            #expect(try r.json() == expected, "\(arguments.joined(separator: " ")) differs from answers/\(file)", sourceLocation: sourceLocation)
        }
        let export = try CLI.run(["export"], store: store)
        #expect(export.status == 0)
        #expect(export.stdout == (try answer("export.jsonl")), "the export is not byte for byte the previous release's", sourceLocation: sourceLocation)
    }

    @Test func aFormatOneStoreOfThePreviousReleaseMigratesAndAnswersAsBefore() throws {
        let dir = try TempDir()
        let store = try Self.copyOfFixture(dir)
        let checkpoint = try JSON.parse(try Self.answer("verify.json"))["head"]
        let position = try #require(checkpoint["position"].int)
        let hash = try #require(checkpoint["hash"].string)

        let migrate = try CLI.run(["migrate", "--json"], store: store)
        #expect(migrate.status == 0, "\(migrate)")
        let m: JSON = try migrate.json()
        #expect(m["migrated"].bool == true && m["from"].int == 1 && m["format"].int == 2, "\(migrate)")
        #expect(m["events"].int == position)

        let stats: JSON = try CLI.run(["stats", "--json"], store: store).json()
        #expect(stats["format"].int == 2)
        let databases = stats["databases"]
        #expect(databases.has("ids") && databases.has("campaign_positions") && databases.has("contact_positions"), "\(stats)")
        #expect(!databases.has("event_ids") && !databases.has("campaign_streams"), "\(stats)")

        try Self.expectSameAnswers(store)
        let verify = try CLI.run(["verify", "--checkpoint", "\(position):\(hash)"], store: store)
        #expect(verify.status == 0, "\(verify)")

        // Once more: nothing to do.
        let again: JSON = try CLI.run(["migrate", "--json"], store: store).json()
        #expect(again["migrated"].bool == false && again["events"].int == 0)

        // The migrated store takes appends; an import line from before is still known by its
        // derived id (found through the new `ids` index) and skipped as a re-delivery.
        let line = dir.at("more.jsonl")
        try Data((#"{"type":"contact.status","campaign":"contract-renewal-call-002","contact":"c-0004","status":"unreachable","at":"2026-11-20T10:01:00Z","code":"480","reason":"no answer"}"# + "\n").utf8)
            .write(to: URL(fileURLWithPath: line))
        let redelivered = try CLI.run(["import", line], store: store)
        #expect(redelivered.status == 0 && (redelivered.stdout + redelivered.stderr).contains("0 appended, 1 duplicates"), "\(redelivered)")
        let added = try CLI.run(
            ["append"], store: store,
            stdin: #"{"type":"contact.status","campaign":"contract-renewal-call-002","contact":"c-0005","status":"calling","at":"2026-11-21T10:00:00Z"}"#)
        #expect(added.status == 0 && added.stdout.contains("appended \(position + 1)"), "\(added)")
        let history: JSON = try CLI.run(["history", "contract-renewal-call-002", "c-0005", "--json"], store: store).json()
        #expect(history.array.last?["position"].int == position + 1, "\(history)")
        #expect(try CLI.run(["verify", "--checkpoint", "\(position):\(hash)"], store: store).status == 0)
    }

    @Test func anyWritableOpenMigratesAndAReadOnlyOneIsToldHow() throws {
        let dir = try TempDir()
        let store = try Self.copyOfFixture(dir)
        if CLIReadOnly.canRunWithoutRoot {
            var prefix: [String] = []
            if getuid() == 0 {
                prefix = [CLIReadOnly.setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
            }
            for item in try FileManager.default.contentsOfDirectory(atPath: store) {
                try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: store + "/" + item)
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: store)
            let refused = try CLI.run(["campaign", "list"], store: store, directory: dir.url, prefix: prefix)
            #expect(refused.status == 69, "\(refused)")
            #expect(refused.stderr.contains("format 1") && refused.stderr.contains("ledger migrate"), "\(refused)")
            #expect(refused.stderr.split(separator: "\n").count == 1, "one line: \(refused.stderr)")
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: store)
            for item in try FileManager.default.contentsOfDirectory(atPath: store) {
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: store + "/" + item)
            }
        } else {
            print("skipped the read-only half: root without /usr/bin/setpriv cannot be stopped by permissions")
        }
        // A query with write access migrates on the way.
        let list = try CLI.run(["campaign", "list", "--json"], store: store)
        #expect(list.status == 0, "\(list)")
        #expect(try list.json() == JSON.parse(try Self.answer("campaigns.json")))
        let stats: JSON = try CLI.run(["stats", "--json"], store: store).json()
        #expect(stats["format"].int == 2)
        try Self.expectSameAnswers(store)
    }

    /// A larger store in format 1's layout: made by this release (its events and records are the
    /// same in both formats), then its indexes rewritten as format 1 keeps them (docs/format.md)
    /// from its own export.
    static func formatOneStore(_ dir: TempDir, contacts: Int) throws -> (store: String, export: String) {
        let store = dir.at("big")
        let demo = try CLI.run(["demo", "--store", store, "--seed", "5", "--campaigns", "6", "--contacts", "\(contacts)"])
        #expect(demo.status == 0, "\(demo)")
        let export = try CLI.run(["export"], store: store)
        try #require(export.status == 0)
        try downgrade(store, export: export.stdout)
        return (store, export.stdout)
    }

    static func downgrade(_ path: String, export: String) throws {
        let env = try Environment.open(path: path)
        let names = ["meta", "ids", "campaign_positions", "contact_positions", "event_ids", "campaign_streams", "contact_streams", "events"]
        let db = try env.openDatabases(names, create: true)
        try env.write { txn in
            for line in export.split(separator: "\n") {
                let e = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let position = UInt64(try #require(e["position"] as? Int)).bigEndianBytes
                let campaign = Array((try #require(e["campaign"] as? String)).utf8)
                try txn.put(db[4], Array((try #require(e["id"] as? String)).utf8), position)
                try txn.put(db[5], [UInt8(campaign.count)] + campaign + position, [])
                if let contact = e["contact"] as? String, (e["type"] as? String)?.hasPrefix("contact.") == true {
                    let c = Array(contact.utf8)
                    try txn.put(db[6], [UInt8(campaign.count)] + campaign + [UInt8(c.count)] + c + position, [])
                }
            }
            // Format 1 has version-1 records only.
            let events = db[7]
            var rewritten: [([UInt8], [UInt8])] = []
            try txn.forEach(events) { key, value in
                rewritten.append((Array(key), EventRecord.encode(try EventRecord.decode(value), version: 1)))
                return true
            }
            for (key, value) in rewritten { try txn.put(events, key, value) }
            for d in db[1...3] { try txn.drop(d) }
            try txn.put(db[0], Array("format".utf8), UInt32(1).bigEndianBytes)
        }
    }

    /// SIGKILL at random moments of `ledger migrate`: the store is format 1 whole or format 2
    /// whole, and a later migration gives the answers of one never interrupted.
    @Test func aMigrationKilledAtAnyMomentMigratesAgainToTheSameStore() throws {
        let dir = try TempDir()
        let (store, export) = try Self.formatOneStore(dir, contacts: 1500)
        let pristine = dir.at("pristine")
        try FileManager.default.copyItem(atPath: store, toPath: pristine)
        let reference = try CLI.run(["migrate"], store: pristine)
        #expect(reference.status == 0 && reference.stdout.hasPrefix("migrated"), "\(reference)")
        let binary = try #require(CLI.binary)
        var generator = SystemRandomNumberGenerator()
        var killedWhileFormatOne = 0
        for round in 0..<6 {
            let victim = dir.at("victim-\(round)")
            try FileManager.default.copyItem(atPath: store, toPath: victim)
            let process = Process()
            process.executableURL = binary
            process.arguments = ["migrate", "--store", victim]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 20_000...400_000, using: &generator))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            try process.waitForExit(within: 60, "ledger migrate (round \(round))")
            let stats = try CLI.run(["stats", "--json"], store: victim, environment: [:])
            // stats opens with write access, so it finishes the migration itself.
            #expect(stats.status == 0, "\(stats)")
            if process.terminationReason == .uncaughtSignal { killedWhileFormatOne += 1 }
            let v = try CLI.run(["verify"], store: victim)
            #expect(v.status == 0, "round \(round): \(v)")
            let e = try CLI.run(["export"], store: victim)
            #expect(e.stdout == export, "round \(round): the export changed")
            for c in ["spring-promo", "winter-sale-sms-001"] {
                let a: JSON = try CLI.run(["history", c, "c-0001", "--json"], store: victim).json()
                let b: JSON = try CLI.run(["history", c, "c-0001", "--json"], store: pristine).json()
                #expect(a == b, "round \(round): history of \(c)/c-0001 differs")
            }
        }
        print("migrations killed mid-way: \(killedWhileFormatOne) of 6")
    }

    /// Bytes per event of the records and the indexes in both formats, for the same events
    /// (printed; docs/format.md and docs/performance.md quote it).
    @Test func formatTwoIsSmallerThanFormatOne() throws {
        let dir = try TempDir()
        let store = dir.at("big")
        let demo = try CLI.run(["demo", "--store", store, "--seed", "5", "--campaigns", "6", "--contacts", "1500"])
        try #require(demo.status == 0, "\(demo)")
        // Records: the sum of their lengths (the downgrade rewrites them in place, which splits
        // pages: page counts would measure that, not the format). Indexes: pages in use.
        func bytes(_ names: [String]) throws -> [Int] {
            let env = try Environment.open(path: store)
            let dbs = try env.openDatabases(names, create: false)
            return try env.read { txn in
                var records = 0
                try txn.forEach(dbs[0]) { _, value in
                    records += value.count
                    return true
                }
                return try [records] + dbs.dropFirst().map { try txn.statistics($0).bytes }
            }
        }
        let two = try bytes(["events", "ids", "campaign_positions", "contact_positions"])
        let export = try CLI.run(["export"], store: store)
        let events = export.stdoutLines.count
        try Self.downgrade(store, export: export.stdout)
        let one = try bytes(["events", "event_ids", "campaign_streams", "contact_streams"])
        let (records1, records2) = (one[0] / events, two[0] / events)
        let (indexes1, indexes2) = (one[1...].reduce(0, +) / events, two[1...].reduce(0, +) / events)
        print("bytes per event (\(events) events): record lengths v1 \(records1), v2 \(records2); index pages format 1 \(indexes1), format 2 \(indexes2); export line \(export.stdout.utf8.count / events)")
        #expect(indexes2 * 2 < indexes1)
        #expect(records2 < records1)
        let after: JSON = try CLI.run(["stats", "--json"], store: store).json()  // opens writable: migrates
        #expect(after["format"].int == 2)
    }
}
