import Foundation
import Testing

/// `history`, `report`, `demo`, `rebuild`, `projections` and `import --restore`, run through
/// the built binary on the fixture (expected values from the fixture's comments and the spec).
@Suite(.timeLimit(.minutes(10))) struct CLIInvestigation {
    /// `[Any]` of `history --json` as plain dictionaries.
    func history(_ args: [String], store: String) throws -> [[String: Any]] {
        let r = try CLI.run(["history"] + args + ["--json"], store: store)
        #expect(r.status == 0, "\(r)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
    }

    @Test func historyShowsTheDuplicateWhereItArrivedAndTheLateReceipt() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        // c2: added (5), sent (18), delivery_failed (21); its re-delivery (line 23) was received
        // after position 22 and is listed last, with position null, changing nothing.
        let c2 = try history(["spring", "c2"], store: store)
        #expect(c2.map { $0["position"] as? Int } == [5, 18, 21, nil])
        #expect(c2.map { $0["effect"] as? String } == ["applied", "applied", "applied", "duplicate"])
        #expect(c2.map { $0["stateAfter"] as? String } == ["initial", "sent", "delivery_failed", "delivery_failed"])
        #expect(c2[0]["stateBefore"] is NSNull, "stateBefore is null (present) for the creating event")
        // c3: the delivered receipt (33) was recorded after campaign.finished (32).
        let c3 = try history(["spring", "c3"], store: store)
        #expect(c3.map { $0["position"] as? Int } == [6, 19, 33])
        #expect(c3.last?["stateBefore"] as? String == "sent")
        #expect(c3.last?["stateAfter"] as? String == "delivered")
        #expect((c3.last?["marks"] as? [String])?.contains("after_end") == true)
        // The whole campaign: campaign.* entries carry the campaign's status.
        let spring = try history(["spring"], store: store)
        let finished = try #require(spring.first { $0["type"] as? String == "campaign.finished" })
        #expect(finished["stateAfter"] as? String == "completed")
        // The human table marks the duplicate and the late receipt.
        let table = try CLI.run(["history", "spring"], store: store)
        #expect(table.status == 0)
        #expect(table.stdout.contains("dup"))
        #expect(table.stdout.contains("after end"))
        #expect(try CLI.run(["history", "nope"], store: store).status == 2)
        #expect(try CLI.run(["history", "spring", "nobody"], store: store).status == 2)
    }

    @Test func reportWritesASelfContainedPage() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let out = keep.url.appendingPathComponent("spring.html")
        let r = try CLI.run(["report", "spring", "--output", out.path], store: store)
        #expect(r.status == 0, "\(r)")
        let html = try String(contentsOf: out, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<svg"))
        #expect(!html.contains("http://") && !html.contains("https://"))
        #expect(try CLI.run(["report", "spring"], store: store).status == 64)
        #expect(try CLI.run(["report", "nope", "--output", out.path], store: store).status == 2)
    }

    @Test func rebuildProjectionsAndRollback() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let before = try CLI.run(["campaign", "show", "spring", "--json"], store: store).json()
        let r = try CLI.run(["rebuild", "--verify", "--json"], store: store)
        #expect(r.status == 0, "\(r)")
        let summary = try r.json()
        #expect(summary["build"].int == 2)
        #expect(summary["events"].int == Fixture.appended)
        #expect(summary["activated"].bool == true)
        #expect(summary["fingerprintMatches"].bool == true)
        let after = try CLI.run(["campaign", "show", "spring", "--json"], store: store).json()
        #expect(after["metrics"] == before["metrics"])
        #expect(after["build"].int == 2)
        #expect(after["projectionVersion"].int == 1, "the rules' version, not the build's number")
        let list = try CLI.run(["projections", "list", "--json"], store: store).json()
        #expect(list[0]["state"].string == "ready")
        #expect(list[1]["state"].string == "active")
        #expect(try CLI.run(["projections", "drop", "2"], store: store).status == 64, "the active build")
        #expect(try CLI.run(["projections", "activate", "1"], store: store).status == 0)
        #expect(try CLI.run(["campaign", "show", "spring", "--json"], store: store).json()["build"].int == 1)
        #expect(try CLI.run(["projections", "drop", "2"], store: store).status == 0)
        #expect(try CLI.run(["projections", "activate", "2"], store: store).status == 2)
    }

    @Test func restoreRebuildsAStoreWithTheSameHashes() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let export = keep.url.appendingPathComponent("all.jsonl")
        #expect(try CLI.run(["export", "--output", export.path], store: store).status == 0)
        let copy = keep.url.appendingPathComponent("restored").path
        let r = try CLI.run(["import", export.path, "--restore"], store: copy)
        #expect(r.status == 0, "\(r)")
        let head = try CLI.run(["verify"], store: store).stdoutLines.last
        #expect(try CLI.run(["verify"], store: copy).stdoutLines.last == head)
        // Into a store that is not empty: a usage error.
        #expect(try CLI.run(["import", export.path, "--restore"], store: copy).status == 64)
    }

    @Test func demoRefusesANonEmptyStoreAndTours() throws {
        let dir = try TempDir()
        let full = dir.url.appendingPathComponent("full")
        try FileManager.default.createDirectory(at: full, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: full.appendingPathComponent("something"))
        #expect(try CLI.run(["demo", "--store", full.path]).status == 64)
        let fresh = dir.url.appendingPathComponent("demo").path
        let r = try CLI.run(["demo", "--store", fresh, "--campaigns", "3", "--contacts", "8"],
                            environment: ["LEDGER_STORE": dir.url.appendingPathComponent("never").path])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("head "))
        #expect(r.stdout.contains("spring-promo"))
        // The story's failed report (docs/demo.md: attempt 1 delivery_failed, code 131026), found
        // by the library's state classes.
        #expect(r.stdout.contains("attempt 1 failed at the provider (131026"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("never").path),
                "demo never reads LEDGER_STORE")
        #expect(try CLI.run(["verify"], store: fresh).status == 0)
    }
}
