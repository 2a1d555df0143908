import Foundation
import Testing

/// Exit statuses of interchange.md §4.
@Suite(.timeLimit(.minutes(10))) struct CLIExitCodes {
    @Test func queriesOnAMissingStoreExit2AndCreateNothing() throws {
        let dir = try TempDir()
        let missing = dir.at("nothing-here")
        for args in [["campaign", "list"], ["campaign", "show", "x"], ["contact", "list", "x"],
                     ["metrics"], ["verify"], ["stats"], ["export"]] {
            let r = try CLI.run(args, store: missing)
            #expect(r.status == 2, "\(args): \(r)")
            #expect(!r.stderr.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    @Test func unknownCampaignOrContactExit2() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let c = try CLI.run(["campaign", "show", "autumn", "--json"], store: store)
        #expect(c.status == 2, "\(c)")
        #expect(c.stdout.isEmpty)
        #expect(c.stderr.contains("autumn"))
        #expect(try CLI.run(["metrics", "autumn"], store: store).status == 2)
        #expect(try CLI.run(["contact", "list", "autumn"], store: store).status == 2)
        let k = try CLI.run(["contact", "show", "spring", "c99", "--json"], store: store)
        #expect(k.status == 2, "\(k)")
        #expect(k.stderr.contains("c99"))
    }

    @Test func versionNamesTheRecordFormatAndRules() throws {
        let r = try CLI.run(["--version"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.hasPrefix("campaign-ledger "), "\(r)")
        #expect(r.stdout.contains("store format 2, record format 2"), "\(r)")
        #expect(r.stdout.contains("projection rules campaign-projections/"), "\(r)")
    }

    @Test func usageErrorsExit64() throws {
        let (dir, store) = try Fixture.importedStore()
        let file = try dir.write("x.jsonl", Fixture.text)
        let cases: [[String]] = [
            ["campaign", "list", "--bogus"],
            ["import", file, "--rejects", dir.at("r.jsonl")],          // --rejects without --skip-invalid
            ["campaign", "show", "spring", "--as-of", "yesterday"],    // not an RFC 3339 time
            ["metrics", "--as-of", "2026-02-30T00:00:00Z"],            // not a calendar date
            ["contact", "list", "spring", "--state", "lost"],
            ["contact", "list", "spring", "--limit", "0"],
            ["export", "--format", "xml"],
            ["export", "--evidence"],
            ["rebuild", "--threads", "0"],
            ["frobnicate"],
        ]
        for args in cases {
            let r = try CLI.run(args, store: store)
            #expect(r.status == 64, "\(args): \(r)")
        }
        // Nothing was appended by the rejected import.
        #expect(try CLI.run(["stats", "--json"], store: store).json()["events"].int == Fixture.appended)
    }

    @Test func aBadImportExits65ListsEveryBadLineAndAppendsNothing() throws {
        let dir = try TempDir()
        let lines = [
            #"{"type":"campaign.created","campaign":"spring","channel":"whatsapp","at":"2026-11-20T08:00:00Z"}"#,
            #"{"type":"contact.added","campaign":"spring","contact":"c1","adress":"+420601234567","at":"2026-11-20T08:01:00Z"}"#,
            #"{"type":"contact.added","campaign":"spring","contact":"c2","address":"+420601234568","at":"2026-11-31T08:01:00Z"}"#,
            #"{"type":"contact.status","campaign":"spring","contact":"nobody","status":"sent","at":"2026-11-20T09:00:00Z"}"#,
            #"{"type":"campaign.created","campaign":"calls","channel":"fax","at":"2026-11-20T08:00:00Z"}"#,
        ]
        let file = try dir.write("bad.jsonl", lines.joined(separator: "\n") + "\n")
        let store = dir.at("store")
        let r = try CLI.run(["import", file], store: store)
        #expect(r.status == 65, "\(r)")
        let errs = r.stderr.split(separator: "\n").map(String.init)
        // FILE:LINE: field: message, one per bad line (2, 3, 4, 5), none for the good line 1.
        for (line, field) in [(2, "adress"), (3, "at"), (4, "contact"), (5, "channel")] {
            let prefix: String = "\(file):\(line): \(field): "
            let found: Bool = errs.contains { (e: String) -> Bool in e.hasPrefix(prefix) && e.count > prefix.count }
            #expect(found, "line \(line) field \(field) in:\n\(r.stderr)")
        }
        #expect(!errs.contains { $0.hasPrefix("\(file):1:") })
        #expect(r.stdout.isEmpty)
        let list = try CLI.run(["campaign", "list", "--json"], store: store)
        let nothing: Bool = list.status == 2 || (list.status == 0 && list.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
        #expect(nothing, "\(list)")
    }

    @Test func failingVerifyExits1() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let r = try CLI.run(["verify", "--checkpoint", "5:" + String(repeating: "0", count: 64)], store: store)
        #expect(r.status == 1, "\(r)")
    }
}

@Suite(.timeLimit(.minutes(10))) struct CLIImport {
    @Test func skipInvalidWritesRejectsWithTheExactText() throws {
        let dir = try TempDir()
        let bad1 = #"{"type": "contact.added",   "campaign":"spring", "contact":"ä-1", "address":"+420 601", "at":"soon"}"#
        let bad2 = #"{"type":"contact.status","campaign":"spring","contact":"ghost","status":"read","at":"2026-11-20T09:00:00Z"}"#
        let text = [Fixture.lines[0], bad1, Fixture.lines[3], bad2].joined(separator: "\n") + "\n"
        let file = try dir.write("mixed.jsonl", text)
        let rejects = dir.at("rejects.jsonl")
        let store = dir.at("store")
        let r = try CLI.run(["import", file, "--skip-invalid", "--rejects", rejects], store: store)
        #expect(r.status == 0, "\(r)")
        let out = try dir.read("rejects.jsonl").split(separator: "\n").map { try JSON.parse(String($0)) }
        #expect(out.count == 2)
        let rejectKeys: Set<String> = ["line", "error", "text"]
        for o in out { #expect(o.keys == rejectKeys) }
        #expect(out[0]["line"].int == 2)
        #expect(out[0]["text"].string == bad1)
        #expect(out[1]["line"].int == 4)
        #expect(out[1]["text"].string == bad2)
        for o in out { #expect(!(o["error"].string ?? "").isEmpty) }
        // The good lines were appended.
        #expect(try CLI.run(["stats", "--json"], store: store).json()["events"].int == 2)

        // Without --rejects: FILE.rejects.jsonl.
        let other = try TempDir()
        let file2 = try other.write("m.jsonl", text)
        let r2 = try CLI.run(["import", file2, "--skip-invalid"], store: other.at("store"))
        #expect(r2.status == 0, "\(r2)")
        #expect(try other.read("m.jsonl.rejects.jsonl").split(separator: "\n").count == 2)
    }

    /// A line that is not UTF-8 is kept byte for byte: its rejects record keeps the `text` the
    /// spec promises (a decoding with U+FFFD) and carries the exact bytes in base64
    /// (`textBase64`), since a JSON string cannot hold them.
    @Test func skipInvalidKeepsTheBytesOfALineThatIsNotUTF8() throws {
        let dir = try TempDir()
        // Latin-1 "é" (0xE9), a lone continuation byte (0x80) and an overlong "/" (0xC0 0xAF).
        let bad = Array(#"{"type":"contact.added","campaign":"spring","contact":"caf"#.utf8) + [0xE9, 0x80, 0xC0, 0xAF]
            + Array(#"","address":"+420 601 234 567","at":"2026-11-20T08:00:00Z"}"#.utf8)
        let file = dir.at("latin1.jsonl")
        try Data(Array((Fixture.lines[0] + "\n").utf8) + bad + [0x0A]).write(to: URL(fileURLWithPath: file))
        let r = try CLI.run(["import", file, "--skip-invalid", "--rejects", dir.at("rejects.jsonl")], store: dir.at("store"))
        #expect(r.status == 0, "\(r)")
        let out = try dir.read("rejects.jsonl").split(separator: "\n").map { try JSON.parse(String($0)) }
        try #require(out.count == 1, "\(out)")
        #expect(out[0].keys == ["line", "error", "text", "textBase64"])
        #expect(out[0]["text"].string == String(decoding: bad, as: UTF8.self))
        #expect(out[0]["line"].int == 2)
        let kept = try #require(Data(base64Encoded: out[0]["textBase64"].string ?? ""), "\(out[0])")
        #expect(Array(kept) == bad)
    }

    @Test func reImportAppendsNothing() throws {
        let (dir, store) = try Fixture.importedStore()
        let r = try CLI.run(["import", dir.at("history.jsonl")], store: store)
        #expect(r.status == 0, "\(r)")
        #expect(r.stderr.contains(": 0 appended, 35 duplicates, 0 rejected"), "\(r)")
        #expect(try CLI.run(["stats", "--json"], store: store).json()["events"].int == Fixture.appended)
    }

    @Test func importFromStdinAndDryRun() throws {
        let dir = try TempDir()
        let store = dir.at("store")
        let dry = try CLI.run(["import", "-", "--dry-run"], store: store, stdin: Fixture.text)
        #expect(dry.status == 0, "\(dry)")
        #expect(dry.stderr.contains("\(Fixture.appended) would be appended"), "\(dry)")
        let r = try CLI.run(["import", "-"], store: store, stdin: Fixture.text)
        #expect(r.status == 0, "\(r)")
        #expect(try CLI.run(["stats", "--json"], store: store).json()["events"].int == Fixture.appended)
    }

    /// A pipe given as a path (`/dev/stdin` here; `<(zcat history.jsonl.gz)` in a shell) is read
    /// to its end; a path that does not exist is still an error naming it.
    @Test func aPipeGivenAsAPathIsImported() throws {
        let dir = try TempDir()
        let store = dir.at("store")
        let r = try CLI.run(["import", "/dev/stdin"], store: store, stdin: Fixture.text)
        #expect(r.status == 0, "\(r)")
        #expect(try CLI.run(["stats", "--json"], store: store).json()["events"].int == Fixture.appended)
        let missing = try CLI.run(["import", dir.at("absent.jsonl")], store: store)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("absent.jsonl"), "\(missing)")
    }

    /// Batches of up to 100 000 events per transaction; one more is refused with the range.
    @Test func batchSizesUpTo100000() throws {
        let dir = try TempDir()
        let store = dir.at("store")
        let big = try CLI.run(["import", "-", "--batch-size", "100000"], store: store, stdin: Fixture.text)
        #expect(big.status == 0, "\(big)")
        #expect(try CLI.run(["stats", "--json"], store: store).json()["events"].int == Fixture.appended)
        let over = try CLI.run(["import", "-", "--batch-size", "100001"], store: dir.at("other"), stdin: Fixture.text)
        #expect(over.status == 64, "\(over)")
        #expect(over.stderr.contains("1 to 100000"), "\(over)")
    }
}

/// Where the store is: --store, else $LEDGER_STORE, else ./ledger.lmdb.
@Suite(.timeLimit(.minutes(10))) struct CLIStoreResolution {
    @Test func environmentVariableIsUsedAndStoreOptionWins() throws {
        let dir = try TempDir()
        let file = try dir.write("h.jsonl", Fixture.text)
        let viaEnv = dir.at("env-store")
        let r = try CLI.run(["import", file], environment: ["LEDGER_STORE": viaEnv])
        #expect(r.status == 0, "\(r)")
        #expect(FileManager.default.fileExists(atPath: viaEnv + "/data.mdb"))
        let list = try CLI.run(["campaign", "list", "--json"], environment: ["LEDGER_STORE": viaEnv])
        let listed: JSON = try list.json()
        #expect(listed.count == 3)
        // --store beats LEDGER_STORE.
        let empty = dir.at("other")
        let other = try CLI.run(["campaign", "list", "--json"], store: empty, environment: ["LEDGER_STORE": viaEnv])
        #expect(other.status == 2, "\(other)")
    }

    @Test func defaultIsLedgerLmdbInTheWorkingDirectory() throws {
        let dir = try TempDir()
        let file = try dir.write("h.jsonl", Fixture.text)
        let r = try CLI.run(["import", file], directory: dir.url)
        #expect(r.status == 0, "\(r)")
        #expect(FileManager.default.fileExists(atPath: dir.at("ledger.lmdb/data.mdb")))
        let show = try CLI.run(["campaign", "show", "spring", "--json"], directory: dir.url)
        #expect(try show.json()["status"].string == "completed")
    }
}

@Suite(.timeLimit(.minutes(10))) struct CLIAppend {
    @Test func appendPrintsPositionThenDuplicate() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let env = ["LEDGER_STORE": store]
        let line = #"{"id":"cb-1","type":"contact.status","campaign":"reminders","contact":"r1","status":"sent","at":"2026-11-20T09:06:00Z"}"#
        let first = try CLI.run(["append"], environment: env, stdin: line + "\n")
        #expect(first.status == 0, "\(first)")
        #expect(first.stdout == "appended 35\n")
        let again = try CLI.run(["append"], environment: env, stdin: line)
        #expect(again.stdout == "duplicate 35\n")
        let json = try CLI.run(["append", "--json"], environment: env, stdin: line)
        let expectedDuplicate: [String: Any] = ["outcome": "duplicate", "position": 35, "id": "cb-1"]
        let duplicateJSON: JSON = try json.json()
        #expect(duplicateJSON == JSON(value: expectedDuplicate))
        let next = try CLI.run(["append", "--json"], environment: env,
                               stdin: #"{"type":"contact.status","campaign":"reminders","contact":"r1","status":"delivered","at":"2026-11-20T09:06:04Z"}"#)
        let n = try next.json()
        #expect(n["outcome"].string == "appended")
        #expect(n["position"].int == 36)
        #expect(!(n["id"].string ?? "").isEmpty)  // a random id was assigned
        let k = try CLI.run(["contact", "show", "reminders", "r1", "--json"], environment: env).json()
        #expect(k["state"].string == "delivered")
        #expect(k["reports"].int == 4)  // added, queued, sent, delivered
    }

    @Test func aBadEventExits65AndAppendsNothing() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let bad = [
            #"{"type":"contact.status","campaign":"reminders","contact":"r1","status":"success","at":"2026-11-20T09:06:00Z"}"#,  // telephone state on sms
            #"{"type":"contact.status","campaign":"reminders","contact":"r9","status":"sent","at":"2026-11-20T09:06:00Z"}"#,     // unknown contact
            #"{"type":"campaign.started","campaign":"spring","at":"2026-11-20T09:06:00Z"}"#,                                    // already ended
            #"{"type":"contact.status","campaign":"reminders""#,                                                                  // not JSON
            #"{"id":"wh-1","type":"contact.status","campaign":"spring","contact":"c1","status":"read","at":"2026-11-20T09:00:01Z"}"#, // id reused
        ]
        for line in bad {
            let r = try CLI.run(["append"], store: store, stdin: line)
            #expect(r.status == 65, "\(line): \(r)")
            #expect(r.stdout.isEmpty)
        }
        #expect(try CLI.run(["stats", "--json"], store: store).json()["events"].int == Fixture.appended)
    }
}
