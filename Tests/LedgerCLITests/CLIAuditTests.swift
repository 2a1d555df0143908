import Foundation
import Testing

/// Drops the fields the ledger assigns per store (interchange.md §1: a re-import changes only these).
private func comparable(_ line: Substring) throws -> NSDictionary {
    let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
    var copy = object
    for key in ["recordedAt", "hash", "addressSalt", "addressDigest"] { copy[key] = nil }
    return copy as NSDictionary
}

/// 64 lowercase hex digits.
func isHash(_ s: String) -> Bool {
    s.utf8.count == 64 && s.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
}

@Suite(.timeLimit(.minutes(10))) struct CLIExport {
    @Test func exportImportExportRoundTrip() throws {
        let (dir, store) = try Fixture.importedStore()
        let first = try CLI.run(["export"], store: store)
        #expect(first.status == 0, "\(first)")
        let lines = first.stdout.split(separator: "\n")
        #expect(lines.count == Fixture.appended)
        let parsed = try lines.map(comparable)
        let positions: [Int] = parsed.compactMap { $0["position"] as? Int }
        let expectedPositions: [Int] = Array(1...Fixture.appended)
        #expect(positions == expectedPositions)
        // The assigned fields are there: hash on every line, salt and digest on contact.added.
        let one = try JSONSerialization.jsonObject(with: Data(lines[3].utf8)) as? [String: Any] ?? [:]
        #expect(one["type"] as? String == "contact.added")
        for key in ["hash", "addressSalt", "addressDigest"] { #expect(one[key] is String, "\(key)") }

        let file = dir.at("export.jsonl")
        let toFile = try CLI.run(["export", "--output", file], store: store)
        #expect(toFile.status == 0)
        #expect(try dir.read("export.jsonl") == first.stdout)

        let copy = dir.at("copy")
        let imported = try CLI.run(["import", file], store: copy)
        #expect(imported.status == 0, "\(imported)")
        let second = try CLI.run(["export"], store: copy)
        let secondParsed = try second.stdout.split(separator: "\n").map(comparable)
        #expect(secondParsed == parsed)
        // Same answers, too.
        let a = try CLI.run(["campaign", "show", "spring", "--json"], store: store).json()
        let b = try CLI.run(["campaign", "show", "spring", "--json"], store: copy).json()
        #expect(a["metrics"] == b["metrics"])
        #expect(a["status"] == b["status"])
    }

    @Test func csvHasAHeaderRow() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let r = try CLI.run(["export", "--format", "csv"], store: store)
        #expect(r.status == 0, "\(r)")
        // RFC 4180: every row ends with CRLF.
        #expect(r.stdout.hasSuffix("\r\n"))
        let rows = r.stdout.components(separatedBy: "\r\n").dropLast()
        #expect(rows.count == Fixture.appended + 1)
        let header = rows[0].split(separator: ",").map(String.init)
        for column in ["position", "type", "campaign", "contact", "at", "status", "attempt", "hash"] {
            #expect(header.contains(column), "CSV header \(rows[0]) lacks \(column)")
        }
        #expect(rows[1].hasPrefix("1,"))
    }

    @Test func campaignExportWithEvidenceCoversEveryOtherPosition() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let plain = try CLI.run(["export", "--campaign", "reminders"], store: store)
        #expect(plain.status == 0, "\(plain)")
        let plainLines = try plain.stdout.split(separator: "\n").map(comparable)
        let plainPositions: [Int] = plainLines.compactMap { $0["position"] as? Int }
        #expect(plainPositions == Fixture.reminderPositions)

        let r = try CLI.run(["export", "--campaign", "reminders", "--evidence"], store: store)
        #expect(r.status == 0, "\(r)")
        var events: [Int] = []
        var digests: [Int] = []
        var anchors: [Int] = []
        for line in r.stdout.split(separator: "\n") {
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            let position = try #require(o["position"] as? Int)
            if Set(o.keys) == ["position", "hash"] {
                // The chain hash just before the campaign's first event, to chain from.
                #expect(isHash(try #require(o["hash"] as? String)))
                anchors.append(position)
            } else if Set(o.keys) == ["position", "digest"] {
                let digest = try #require(o["digest"] as? String)
                #expect(isHash(digest))
                digests.append(position)
            } else {
                #expect(o["campaign"] as? String == "reminders")
                events.append(position)
            }
        }
        #expect(events == Fixture.reminderPositions)
        #expect(anchors == [2], "the evidence starts from the hash at position 2")
        // Every position from the campaign's first event (3) to the head (34) is there once.
        let covered: [Int] = (events + digests).sorted()
        let expectedCovered: [Int] = Array(3...Fixture.appended)
        #expect(covered == expectedCovered)
        #expect(digests.contains(4))
        #expect(digests.contains(Fixture.appended))

        #expect(try CLI.run(["export", "--campaign", "nope"], store: store).status == 2)
    }
}

@Suite(.timeLimit(.minutes(10))) struct CLIVerify {
    static func headLine(_ r: CLIResult) -> (position: Int, hash: String)? {
        guard let last = r.stdoutLines.last else { return nil }
        let parts = last.split(separator: " ")
        guard parts.count == 3, parts[0] == "head", let p = Int(parts[1]) else { return nil }
        return (p, String(parts[2]))
    }

    @Test func verifyPrintsTheHeadLast() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let r = try CLI.run(["verify"], store: store)
        #expect(r.status == 0, "\(r)")
        let head = try #require(Self.headLine(r), "\(r)")
        #expect(head.position == Fixture.appended)
        #expect(isHash(head.hash))
        let stats = try CLI.run(["stats", "--json"], store: store).json()
        #expect(stats["head"]["hash"].string == head.hash)
    }

    @Test func aFlippedByteInAStoredEventFailsVerifyAtItsPosition() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        #expect(try CLI.run(["verify"], store: store).status == 0)
        let dataFile = URL(fileURLWithPath: store + "/data.mdb")
        var bytes = [UInt8](try Data(contentsOf: dataFile))
        let needle = Array(Fixture.tamperText.utf8)
        var hits = 0
        var i = 0
        while i + needle.count <= bytes.count {
            if bytes[i] == needle[0], Array(bytes[i..<(i + needle.count)]) == needle {
                bytes[i] ^= 0x20  // "L" → "l": still valid UTF-8 and valid JSON
                hits += 1
                i += needle.count
            } else {
                i += 1
            }
        }
        // The reason is only in the event at that position (the contact's state is explained by a
        // later report), so every copy in the file is that event's text.
        #expect(hits >= 1)
        try Data(bytes).write(to: dataFile)

        let r = try CLI.run(["verify"], store: store)
        #expect(r.status == 1, "\(r)")
        #expect(r.stdout.contains("FAIL"))
        #expect(r.stdout.contains("\(Fixture.dialFailedPosition)"), "\(r)")
        let json = try CLI.run(["verify", "--json"], store: store)
        #expect(json.status == 1)
        #expect(try json.json()["firstBadPosition"].int == Fixture.dialFailedPosition, "\(json)")
        #expect(try json.json()["ok"].bool == false)
    }

    @Test func checkpointHoldsAfterMoreAppendsAndAWrongHashFails() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let head = try #require(Self.headLine(try CLI.run(["verify"], store: store)))
        for (i, status) in ["sent", "delivered", "read"].enumerated() {
            let r = try CLI.run(["append"], store: store, stdin: #"{"type":"contact.status","campaign":"reminders","contact":"r1","status":"\#(status)","at":"2026-11-20T09:0\#(6 + i):00Z"}"#)
            #expect(r.status == 0, "\(r)")
        }
        let ok = try CLI.run(["verify", "--checkpoint", "\(head.position):\(head.hash)"], store: store)
        #expect(ok.status == 0, "\(ok)")
        #expect(Self.headLine(ok)?.position == head.position + 3)

        var wrong = Array(head.hash)
        wrong[10] = wrong[10] == "0" ? "1" : "0"
        let bad = try CLI.run(["verify", "--checkpoint", "\(head.position):\(String(wrong))"], store: store)
        #expect(bad.status == 1, "\(bad)")
        // The right hash at the wrong position fails too.
        let moved = try CLI.run(["verify", "--checkpoint", "\(head.position - 1):\(head.hash)"], store: store)
        #expect(moved.status == 1, "\(moved)")
    }
}

@Suite(.timeLimit(.minutes(10))) struct CLIBackupAndStats {
    @Test func backupAnswersTheSame() throws {
        let (dir, store) = try Fixture.importedStore()
        let dest = dir.at("backup")
        let r = try CLI.run(["backup", dest], store: store)
        #expect(r.status == 0, "\(r)")
        for args in [["campaign", "list", "--json"], ["campaign", "show", "spring", "--json"],
                     ["contact", "list", "spring", "--json"], ["contact", "show", "calls", "t2", "--json"],
                     ["metrics", "--json"], ["export"]] {
            let a = try CLI.run(args, store: store)
            let b = try CLI.run(args, store: dest)
            #expect(a.status == 0, "\(args)")
            #expect(b.status == 0, "\(args)")
            #expect(a.stdout == b.stdout, "\(args)")
        }
        let v = try CLI.run(["verify"], store: dest)
        #expect(v.status == 0, "\(v)")
        #expect(CLIVerify.headLine(v)?.position == Fixture.appended)
    }

    @Test func backupIntoANonEmptyDirectoryExits64() throws {
        let (dir, store) = try Fixture.importedStore()
        let dest = dir.at("full")
        try FileManager.default.createDirectory(atPath: dest, withIntermediateDirectories: true)
        try dir.write("full/keep.txt", "mine")
        let r = try CLI.run(["backup", dest], store: store)
        #expect(r.status == 64, "\(r)")
        #expect(try dir.read("full/keep.txt") == "mine")
        // An empty directory is fine.
        let empty = dir.at("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        #expect(try CLI.run(["backup", empty], store: store).status == 0)
    }

    @Test func statsReportsEventsHeadAndBuilds() throws {
        let (keep, store) = try Fixture.importedStore()
        defer { withExtendedLifetime(keep) {} }
        let r = try CLI.run(["stats", "--json"], store: store)
        #expect(r.status == 0, "\(r)")
        let s = try r.json()
        #expect(s["events"].int == Fixture.appended)
        #expect(s["head"]["position"].int == Fixture.appended)
        #expect(s["head"]["hash"].string?.count == 64)
        #expect(s["redeliveries"].int == 1)  // line 23
        let builds = s["builds"].array
        #expect(builds.count >= 1)
        let active: [JSON] = builds.filter { $0["active"].bool == true }
        #expect(active.count == 1)
        #expect(active.first?["checkpoint"].int == Fixture.appended)
        let human = try CLI.run(["stats"], store: store)
        #expect(human.status == 0)
        #expect(human.stdout.contains("events"))
    }
}

@Suite(.timeLimit(.minutes(10))) struct CLIReadOnly {
    static let setpriv = "/usr/bin/setpriv"
    /// Root ignores file permissions: as root the binary must run as `nobody` through setpriv(1).
    static let canRunWithoutRoot = getuid() != 0 || FileManager.default.isExecutableFile(atPath: setpriv)

    /// A copy of the store with every write permission removed. When the tests run as root the
    /// binary is run as `nobody` through setpriv(1); without setpriv the check cannot mean
    /// anything and is skipped.
    @Test(.enabled(if: canRunWithoutRoot, "runs as root without /usr/bin/setpriv: file permissions cannot stop root's writes"))
    func verifyAndQueriesWorkOnAReadOnlyCopy() throws {
        let (dir, store) = try Fixture.importedStore()
        let copy = dir.at("evidence")
        try FileManager.default.copyItem(atPath: store, toPath: copy)
        var prefix: [String] = []
        if getuid() == 0 {
            prefix = [Self.setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
            // nobody must be able to enter the temporary directory and read the copy.
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        }
        for item in try FileManager.default.contentsOfDirectory(atPath: copy) {
            try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: copy + "/" + item)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: copy)
        let before = try FileManager.default.contentsOfDirectory(atPath: copy).sorted()

        let v = try CLI.run(["verify"], store: copy, directory: dir.url, prefix: prefix)
        #expect(v.status == 0, "\(v)")
        #expect(CLIVerify.headLine(v)?.position == Fixture.appended)
        let list = try CLI.run(["campaign", "list", "--json"], store: copy, directory: dir.url, prefix: prefix)
        #expect(list.status == 0, "\(list)")
        let listed: JSON = try list.json()
        #expect(listed.count == 3)
        let stats = try CLI.run(["stats", "--json"], store: copy, directory: dir.url, prefix: prefix)
        let statsJSON: JSON = try stats.json()
        #expect(statsJSON["readOnly"].bool == true, "\(stats)")
        // A write into the read-only store is refused with 69 (interchange.md §4).
        let append = try CLI.run(["append"], store: copy, stdin: #"{"type":"contact.status","campaign":"reminders","contact":"r1","status":"sent","at":"2026-11-20T09:06:00Z"}"#,
                                 directory: dir.url, prefix: prefix)
        #expect(append.status == 69, "\(append)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: copy).sorted() == before)
    }
}

@Suite(.timeLimit(.minutes(10))) struct CLIHelp {
    @Test func rootAndImportHelpMentionTheStore() throws {
        let root = try CLI.run(["--help"])
        #expect(root.status == 0, "\(root)")
        #expect(root.stdout.contains("--store"), "\(root)")
        for command in ["import", "append", "export", "verify", "backup", "stats", "metrics"] {
            #expect(root.stdout.contains(command), "root help lists \(command)")
        }
        let imp = try CLI.run(["import", "--help"])
        #expect(imp.status == 0, "\(imp)")
        #expect(imp.stdout.contains("--store"))
        #expect(imp.stdout.contains("--skip-invalid"))
        #expect(imp.stdout.contains("--rejects"))
        let show = try CLI.run(["campaign", "show", "--help"])
        #expect(show.status == 0)
        #expect(show.stdout.contains("--store"))
        #expect(show.stdout.contains("--json"))
    }

    /// Every command's help, as printed to a pipe (lines of at most 79 columns), breaks the lines
    /// of its prose only where the next word would not fit: a paragraph written with hard line
    /// breaks wider than the help would come out with every other line a stub.
    @Test func everyHelpWrapsItsProseOnlyWhereItMust() throws {
        var pending: [[String]] = [[]]
        var seen = 0
        while let command = pending.popLast() {
            let help = try CLI.run(command + ["--help"])
            #expect(help.status == 0, "\(command): \(help)")
            seen += 1
            let lines = help.stdout.components(separatedBy: "\n")
            let prose = lines.prefix { !$0.hasPrefix("USAGE:") }
            for (a, b) in zip(prose, prose.dropFirst())
            where !a.isEmpty && !b.isEmpty && !b.hasPrefix(" ") && !a.hasSuffix(":") {
                // An indented line (an example, a table) must fit: wrapped, its rest lands in
                // the prose's first column.
                #expect(!a.hasPrefix(" "), "`ledger \(command.joined(separator: " ")) --help`: \"\(a)\" is wider than 79 columns")
                let next = b.split(separator: " ").first.map(String.init) ?? b
                #expect(a.count + 1 + next.count >= 80, "`ledger \(command.joined(separator: " ")) --help` breaks after \"\(a)\"")
            }
            // Its subcommands, from the SUBCOMMANDS section ("  name   what it does").
            if let at = lines.firstIndex(of: "SUBCOMMANDS:") {
                for line in lines[(at + 1)...].prefix(while: { !$0.isEmpty }) where line.hasPrefix("  ") && !line.hasPrefix("   ") {
                    if let name = line.split(separator: " ").first, name != "help" { pending.append(command + [String(name)]) }
                }
            }
        }
        #expect(seen >= 18, "walked \(seen) commands")
    }
}
