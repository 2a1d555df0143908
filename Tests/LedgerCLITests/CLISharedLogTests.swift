import Foundation
import Testing

/// Issue #17's "Done when" (docs/scale-out.md): hosts (processes with stores of their own)
/// appending through one private PostgreSQL cluster, run through the built `ledger` binary.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct CLISharedLogTests {
    /// A campaign of `contacts` contacts as JSON Lines, with the given event-id prefix.
    static func campaign(_ name: String, contacts: Int, ids: String) -> String {
        var lines = [#"{"id":"\#(ids)-c","type":"campaign.created","campaign":"\#(name)","channel":"sms","at":"2026-11-20T08:00:00Z"}"#]
        for i in 1...max(contacts, 1) {
            lines.append(#"{"id":"\#(ids)-\#(i)","type":"contact.added","campaign":"\#(name)","contact":"k\#(i)","address":"+4206010\#(String(format: "%05d", i))","at":"2026-11-20T08:01:00Z"}"#)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A shell loop in the background: `count` single-event appends of contacts to `campaign`
    /// (created first) on `store`, each printing `ok ID` when acknowledged and `fail ID STATUS`
    /// otherwise, with `pause` seconds between them.
    static func appender(
        store: String, log: String, campaign: String, ids: String, count: Int, pause: Double = 0
    ) throws -> BackgroundRun {
        let ledger = try #require(CLI.binary).path
        let script = """
            echo '{"id":"\(ids)-c","type":"campaign.created","campaign":"\(campaign)","channel":"sms","at":"2026-11-20T08:00:00Z"}' \
              | "\(ledger)" append --store "\(store)" --log "\(log)" > /dev/null 2>&1
            i=1
            while [ $i -le \(count) ]; do
              if echo "{\\"id\\":\\"\(ids)-$i\\",\\"type\\":\\"contact.added\\",\\"campaign\\":\\"\(campaign)\\",\\"contact\\":\\"k$i\\",\\"address\\":\\"+42060$i\\",\\"at\\":\\"2026-11-20T08:01:00Z\\"}" \
                | "\(ledger)" append --store "\(store)" --log "\(log)" > /dev/null 2>> "\(store).err"; then
                echo "ok \(ids)-$i"
              else
                echo "fail \(ids)-$i $?"
              fi
              sleep \(pause)
              i=$((i + 1))
            done
            """
        return try BackgroundRun(["/bin/sh", "-c", script])
    }

    /// The ids of a store's events, from `ledger export`.
    static func exportedIDs(_ store: String) throws -> Set<String> {
        let r = try CLI.run(["export"], store: store)
        #expect(r.status == 0, "\(r)")
        return Set(try r.stdoutLines.compactMap { try JSON.parse($0)["id"].string })
    }

    static func head(_ store: String, log: String) throws -> (Int, String) {
        let r = try CLI.run(["verify", "--json", "--log", log], store: store)
        #expect(r.status == 0, "\(r)")
        let j = try r.json()
        #expect(j["sharedLog"]["ok"].bool == true, "\(j)")
        return (j["head"]["position"].int ?? -1, j["head"]["hash"].string ?? "")
    }

    @Test(.enabled(if: PostgresCluster.unavailable == nil, "\(PostgresCluster.unavailable ?? "")"))
    func threeHostsAppendingConcurrentlyEndAtOneHead() throws {
        let pg = try PostgresCluster()
        let dir = try TempDir()
        let (a, b, c) = (dir.at("a"), dir.at("b"), dir.at("c"))
        let file = try dir.write("history.jsonl", Self.campaign("imported", contacts: 400, ids: "imp"))
        // Host a imports in batches of 50 while b and c append single events.
        let importing = try BackgroundRun([
            try #require(CLI.binary).path, "import", file, "--batch-size", "50", "--store", a, "--log", pg.url,
        ])
        let hostB = try Self.appender(store: b, log: pg.url, campaign: "bee", ids: "b", count: 25)
        let hostC = try Self.appender(store: c, log: pg.url, campaign: "sea", ids: "c", count: 25)
        let imported = try importing.wait(timeout: 300)
        #expect(imported.status == 0, "\(imported)")
        let outB = try hostB.wait(timeout: 300), outC = try hostC.wait(timeout: 300)
        #expect(outB.stdoutLines.filter { $0.hasPrefix("ok ") }.count == 25, "\(outB)")
        #expect(outC.stdoutLines.filter { $0.hasPrefix("ok ") }.count == 25, "\(outC)")

        // Each host catches up; then every store is at one head, and verify (chain, indexes,
        // projections; the log's chain; the replica against it) passes on each.
        for store in [a, b, c] {
            let r = try CLI.run(["follow", "--once", "--log", pg.url], store: store)
            #expect(r.status == 0, "\(r)")
        }
        let heads = try [a, b, c].map { try Self.head($0, log: pg.url) }
        #expect(heads[0].0 == 401 + 26 + 26, "\(heads)")
        #expect(heads[1] == heads[0] && heads[2] == heads[0], "\(heads)")
        #expect(try pg.sql("SELECT count(*), min(position), max(position) FROM ledger_events") == "453|1|453")
        // The same answers on every host.
        let answers = try [a, b, c].map { try CLI.run(["campaign", "list", "--json"], store: $0).stdout }
        #expect(answers[0] == answers[1] && answers[0] == answers[2])
        #expect(try Self.exportedIDs(c).isSuperset(of: ["imp-400", "b-25", "c-25"]))
    }

    @Test(.enabled(if: PostgresCluster.unavailable == nil, "\(PostgresCluster.unavailable ?? "")"))
    func aHostKilledMidImportCatchesUpAndNothingAcknowledgedIsLost() throws {
        let pg = try PostgresCluster()
        let dir = try TempDir()
        let (a, b) = (dir.at("a"), dir.at("b"))
        let file = try dir.write("history.jsonl", Self.campaign("big", contacts: 3000, ids: "big"))
        let hostB = try Self.appender(store: b, log: pg.url, campaign: "bee", ids: "b", count: 15, pause: 0.05)
        let importing = try BackgroundRun([
            try #require(CLI.binary).path, "import", file, "--batch-size", "20", "--store", a, "--log", pg.url,
        ])
        // Kill -9 once the log holds some of the import.
        let deadline = Date(timeIntervalSinceNow: 120)
        while pg.count("ledger_events WHERE id LIKE 'big-%'") ?? 0 < 200 {
            guard Date() < deadline else { Issue.record("the import did not reach 200 events in 120 s"); break }
            usleep(20_000)
        }
        importing.kill()
        let killed = try importing.wait(timeout: 30)
        #expect(killed.status == SIGKILL, "\(killed)")
        let acknowledged = Set(try hostB.wait(timeout: 300).stdoutLines.filter { $0.hasPrefix("ok ") }.map { String($0.dropFirst(3)) })
        #expect(acknowledged.count == 15)

        // Restarted, host a catches up: every acknowledged event is there, and a's store equals the log.
        let r = try CLI.run(["follow", "--once", "--log", pg.url], store: a)
        #expect(r.status == 0, "\(r)")
        let logCount = Int(try pg.sql("SELECT count(*) FROM ledger_events")) ?? -1
        let (position, hash) = try Self.head(a, log: pg.url)
        #expect(position == logCount)
        #expect(hash.count == 64)
        #expect(try Self.head(b, log: pg.url).0 <= position)
        #expect(try Self.exportedIDs(a).isSuperset(of: acknowledged))
        // The import, run again, appends the rest (its ids are the file's): all of it, once.
        let again = try CLI.run(["import", file, "--log", pg.url], store: a)
        #expect(again.status == 0, "\(again)")
        #expect(try pg.sql("SELECT count(*) FROM ledger_events WHERE id LIKE 'big-%'") == "3001")
    }

    @Test(.enabled(if: PostgresCluster.unavailable == nil, "\(PostgresCluster.unavailable ?? "")"))
    func postgresCrashingDuringAppendsLosesNothingAcknowledged() throws {
        let pg = try PostgresCluster()
        let dir = try TempDir()
        let (a, fresh) = (dir.at("a"), dir.at("fresh"))
        let hostA = try Self.appender(store: a, log: pg.url, campaign: "bee", ids: "a", count: 60, pause: 0.05)
        let deadline = Date(timeIntervalSinceNow: 120)
        while pg.count("ledger_events") ?? 0 < 10 {
            guard Date() < deadline else { Issue.record("no appends reached PostgreSQL in 120 s"); break }
            usleep(20_000)
        }
        pg.stop(immediate: true)
        // While PostgreSQL is down: appends exit 69 saying so, and reads answer from the replica.
        let refused = try CLI.run(["append", "--log", pg.url], store: a, stdin: #"{"id":"down","type":"contact.added","campaign":"bee","contact":"kd","address":"+420601999999","at":"2026-11-21T09:00:00Z"}"#)
        #expect(refused.status == 69, "\(refused)")
        #expect(refused.stderr.contains("unreachable") && refused.stderr.contains("nothing was applied"), "\(refused)")
        let read = try CLI.run(["campaign", "show", "bee", "--json", "--log", pg.url], store: a)
        #expect(read.status == 0, "\(read)")
        usleep(500_000)
        try pg.start()
        let out = try hostA.wait(timeout: 300)
        let acknowledged = Set(out.stdoutLines.filter { $0.hasPrefix("ok ") }.map { String($0.dropFirst(3)) })
        let failed = out.stdoutLines.filter { $0.hasPrefix("fail ") }
        #expect(failed.allSatisfy { $0.hasSuffix(" 69") }, "\(out)")
        #expect(!acknowledged.isEmpty)

        // Nothing applied locally that PostgreSQL did not commit: the replica is a prefix of the log.
        let verify = try CLI.run(["verify", "--json", "--log", pg.url], store: a)
        #expect(verify.status == 0, "\(verify)")
        // No acknowledged event is lost: a fresh replica of the log holds them all.
        let caughtUp = try CLI.run(["follow", "--once", "--log", pg.url], store: fresh)
        #expect(caughtUp.status == 0, "\(caughtUp)")
        #expect(try Self.exportedIDs(fresh).isSuperset(of: acknowledged))
        #expect(!(try Self.exportedIDs(fresh).contains("down")))
    }

    @Test(.enabled(if: PostgresCluster.unavailable == nil, "\(PostgresCluster.unavailable ?? "")"))
    func aRowTamperedInPostgresStopsTheFollowerNamingItsPosition() throws {
        let pg = try PostgresCluster()
        let dir = try TempDir()
        let (a, b) = (dir.at("a"), dir.at("b"))
        let file = try dir.write("history.jsonl", Self.campaign("spring", contacts: 9, ids: "s"))
        #expect(try CLI.run(["import", file, "--log", pg.url], store: a).status == 0)
        // Position 7's canonical bytes changed (another contact id), its hash left as it was.
        try pg.sql("UPDATE ledger_events SET canonical = replace(canonical, '\"k6\"', '\"k66\"') WHERE position = 7")
        let r = try CLI.run(["follow", "--once", "--log", pg.url], store: b)
        #expect(r.status == 70, "\(r)")
        #expect(r.stderr.contains("position 7"), "\(r)")
        // Nothing from there on was applied.
        let stats = try CLI.run(["stats", "--json"], store: b)
        #expect(try stats.json()["head"]["position"].int == 6, "\(stats)")
        // verify --log on the host that appended names the same position.
        let verify = try CLI.run(["verify", "--log", pg.url], store: a)
        #expect(verify.status == 1, "\(verify)")
        #expect(verify.stdout.contains("shared log position 7"), "\(verify)")
    }

    @Test(.enabled(if: PostgresCluster.unavailable == nil, "\(PostgresCluster.unavailable ?? "")"))
    func anLMDBLedgerPushedToPostgresKeepsItsHashesAndIsFollowed() throws {
        let pg = try PostgresCluster()
        let dir = try TempDir()
        let (a, b) = (dir.at("a"), dir.at("b"))
        let file = try dir.write("history.jsonl", Fixture.text)
        #expect(try CLI.run(["import", file], store: a).status == 0)
        let before = try CLI.run(["verify", "--json"], store: a).json()["head"]
        let pushed = try CLI.run(["log", "push", "--json", "--log", pg.url], store: a)
        #expect(pushed.status == 0, "\(pushed)")
        #expect(try pushed.json()["pushed"].int == 34)
        #expect(try pushed.json()["head"]["hash"].string == before["hash"].string)
        // A second push has nothing to do; a new host follows the log to the same head.
        #expect(try CLI.run(["log", "push", "--json", "--log", pg.url], store: a).json()["pushed"].int == 0)
        #expect(try CLI.run(["follow", "--once", "--log", pg.url], store: b).status == 0)
        let h = try Self.head(b, log: pg.url)
        #expect(h.0 == 34 && h.1 == before["hash"].string)
        let exportA = try CLI.run(["export"], store: a).stdout, exportB = try CLI.run(["export"], store: b).stdout
        #expect(exportA == exportB)
        // The history imported again through the log appends nothing; b keeps the re-deliveries.
        let again = try CLI.run(["import", file, "--json", "--log", pg.url], store: b)
        #expect(try again.json()["appended"].int == 0 && again.json()["duplicates"].int == 35, "\(again)")
        #expect(try CLI.run(["stats", "--json"], store: b).json()["redeliveries"].int == 35)
        #expect(try pg.sql("SELECT count(*) FROM ledger_events") == "34")
        // stats shows the lag of a replica behind the log.
        #expect(try CLI.run(["append", "--log", pg.url], store: b, stdin: #"{"type":"campaign.resumed","campaign":"calls","at":"2026-11-21T09:00:00Z"}"#).status == 0)
        let stats = try CLI.run(["stats", "--json", "--log", pg.url], store: a)
        #expect(try stats.json()["sharedLog"]["lag"].int == 1, "\(stats)")
        let status = try CLI.run(["log", "status", "--json", "--log", pg.url], store: a)
        #expect(try status.json()["lag"].int == 1 && status.json()["logHead"]["position"].int == 35, "\(status)")
        // `ledger follow` (not --once) applies what is appended while it runs, woken by NOTIFY.
        let following = try BackgroundRun([try #require(CLI.binary).path, "follow", "--poll", "30", "--store", a, "--log", pg.url])
        // It catches up (position 35) first; the next append comes after that.
        let caughtUp = Date(timeIntervalSinceNow: 30)
        while !((try? following.scratch.read("err")) ?? "").contains("applied up to 35") && Date() < caughtUp { usleep(50_000) }
        #expect(try following.scratch.read("err").contains("applied up to 35"), "ledger follow did not catch up within 30 s")
        usleep(300_000)
        #expect(try CLI.run(["append", "--log", pg.url], store: b, stdin: #"{"type":"campaign.paused","campaign":"calls","at":"2026-11-21T10:00:00Z"}"#).status == 0)
        var head = -1
        let deadline = Date(timeIntervalSinceNow: 20)
        while head != 36 && Date() < deadline {
            head = (try? CLI.run(["stats", "--json"], store: a).json()["head"]["position"].int) ?? -1
            if head != 36 { usleep(100_000) }
        }
        // Within 20 s although it polls every 30 s: the notification woke it.
        #expect(head == 36, "ledger follow did not apply position 36 within 20 s")
        following.kill()
        _ = try following.wait(timeout: 30)
    }
}

extension CLISharedLogTests {
    /// A Meta status webhook body: `message` reached `status`, with correlation data when given.
    static func metaStatus(_ message: String, _ status: String, correlation: String? = nil) -> String {
        let opaque = correlation.map { #","biz_opaque_callback_data":"\#($0)""# } ?? ""
        return #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","statuses":[{"id":"\#(message)","status":"\#(status)","timestamp":"1767604300","recipient_id":"420601234567"\#(opaque)}]}}]}]}"#
    }

    /// Provider callbacks received by one host go through the log: tied against its replica
    /// (caught up first, so a message id another host recorded is known), parked on that host
    /// when nothing records the message id yet and appended through the log once an event that
    /// does reaches it; the provider's retry to another host is a duplicate there.
    @Test(.enabled(if: PostgresCluster.unavailable == nil, "\(PostgresCluster.unavailable ?? "")"))
    func providerCallbacksReceivedByOneHostReachEveryHost() throws {
        let pg = try PostgresCluster()
        let dir = try TempDir()
        let (a, b) = (dir.at("a"), dir.at("b"))
        let history = [
            #"{"id":"s0","type":"campaign.created","campaign":"spring","channel":"whatsapp","at":"2026-11-20T08:00:00Z"}"#,
            #"{"id":"s1","type":"contact.added","campaign":"spring","contact":"c1","address":"+420601000001","at":"2026-11-20T08:00:01Z"}"#,
            #"{"id":"s2","type":"contact.added","campaign":"spring","contact":"c2","address":"+420601000002","at":"2026-11-20T08:00:01Z"}"#,
            #"{"id":"s3","type":"contact.added","campaign":"spring","contact":"c3","address":"+420601000003","at":"2026-11-20T08:00:01Z"}"#,
            #"{"id":"s4","type":"campaign.started","campaign":"spring","at":"2026-11-20T08:01:00Z"}"#,
            #"{"id":"s5","type":"contact.status","campaign":"spring","contact":"c1","status":"sent","providerRef":"wamid.A1","at":"2026-11-20T08:02:00Z"}"#,
        ]
        let file = try dir.write("history.jsonl", history.joined(separator: "\n") + "\n")
        #expect(try CLI.run(["import", file, "--log", pg.url], store: a).status == 0)

        // Host b has never seen the log: it catches up, ties wamid.A1 through the index and
        // c3 through correlation data, and parks wamid.B2, which no event records yet.
        let hooks = try dir.write("hooks.jsonl", [
            Self.metaStatus("wamid.A1", "delivered"), Self.metaStatus("wamid.B2", "read"),
            Self.metaStatus("wamid.C3", "delivered", correlation: "spring/c3"),
        ].joined(separator: "\n") + "\n")
        let received = try CLI.run(["callbacks", "import", "--provider", "meta", hooks, "--json", "--log", pg.url], store: b)
        #expect(received.status == 0, "\(received)")
        let counts = try received.json()
        #expect(counts["appended"].int == 2 && counts["parked"].int == 1 && counts["duplicates"].int == 0, "\(received)")
        #expect(try pg.sql("SELECT count(*) FROM ledger_events") == "8")
        #expect(try CLI.run(["callbacks", "parked", "--json"], store: b).stdout.contains("wamid.B2"))

        // Host a records wamid.B2 (c2's sent); b, catching up, applies its parked read after it.
        let sent = #"{"id":"s6","type":"contact.status","campaign":"spring","contact":"c2","status":"sent","providerRef":"wamid.B2","at":"2026-11-20T08:03:00Z"}"#
        #expect(try CLI.run(["append", "--log", pg.url], store: a, stdin: sent).status == 0)
        let caughtUp = try CLI.run(["follow", "--once", "--log", pg.url], store: b)
        #expect(caughtUp.status == 0, "\(caughtUp)")
        #expect(try CLI.run(["callbacks", "parked", "--json"], store: b).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
        #expect(try pg.sql("SELECT count(*) FROM ledger_events") == "10")

        // Every host answers the same: c1 delivered, c2 read, c3 delivered.
        #expect(try CLI.run(["follow", "--once", "--log", pg.url], store: a).status == 0)
        for store in [a, b] {
            for (contact, state) in [("c1", "delivered"), ("c2", "read"), ("c3", "delivered")] {
                let shown = try CLI.run(["contact", "show", "spring", contact, "--json"], store: store)
                #expect(try shown.json()["state"].string == state, "\(store) \(contact): \(shown)")
            }
        }
        #expect(try Self.head(a, log: pg.url) == Self.head(b, log: pg.url))

        // The provider retries the same webhooks to host a: all duplicates, nothing appended.
        let retried = try CLI.run(["callbacks", "import", "--provider", "meta", hooks, "--json", "--log", pg.url], store: a)
        let again = try retried.json()
        #expect(again["appended"].int == 0 && again["duplicates"].int == 3 && again["parked"].int == 0, "\(retried)")
        #expect(try pg.sql("SELECT count(*) FROM ledger_events") == "10")
    }
}

extension CLISharedLogTests {
    /// Whether any file under `directory` holds `needle`'s bytes (the paths that do).
    static func files(under directory: String, holding needle: String) -> [String] {
        let bytes = Data(needle.utf8)
        var found: [String] = []
        let walker = FileManager.default.enumerator(atPath: directory)
        while let relative = walker?.nextObject() as? String {
            let path = "\(directory)/\(relative)"
            if let data = FileManager.default.contents(atPath: path), data.range(of: bytes) != nil { found.append(relative) }
        }
        return found
    }

    /// Issue #18 over the shared log (docs/scale-out.md "Erasure"): a `contact.forgotten` appended
    /// through the log erases the address and salt of the contact's row in PostgreSQL in the same
    /// transaction, every replica applying it erases its own copy, and a replica made afterwards
    /// gets the erased row (digest and address problem kept). Chains and `verify --log` pass.
    @Test(.enabled(if: PostgresCluster.unavailable == nil, "\(PostgresCluster.unavailable ?? "")"))
    func aContactForgottenThroughTheLogIsErasedInPostgresAndOnEveryReplica() throws {
        let pg = try PostgresCluster()
        let dir = try TempDir()
        let (a, b, c) = (dir.at("a"), dir.at("b"), dir.at("c"))
        let problem = "phone number has 2 digits, 6 to 15 expected"
        let file = try dir.write("history.jsonl", [
            #"{"id":"e-c","type":"campaign.created","campaign":"spring","channel":"sms","at":"2026-11-20T08:00:00Z"}"#,
            #"{"id":"e-1","type":"contact.added","campaign":"spring","contact":"k1","address":"+420777123456","at":"2026-11-20T08:01:00Z"}"#,
            #"{"id":"e-2","type":"contact.added","campaign":"spring","contact":"k2","address":"12","at":"2026-11-20T08:01:00Z"}"#,
            #"{"id":"e-3","type":"contact.added","campaign":"spring","contact":"k3","address":"+420601000003","at":"2026-11-20T08:01:00Z"}"#,
        ].joined(separator: "\n") + "\n")
        #expect(try CLI.run(["import", file, "--log", pg.url], store: a).status == 0)
        #expect(try CLI.run(["follow", "--once", "--log", pg.url], store: b).status == 0)
        #expect(try pg.sql("SELECT count(*) FROM ledger_events WHERE address = '+420777123456'") == "1")
        // PostgreSQL's statistics (pg_statistic) would keep sampled addresses: the log has none collected.
        try pg.sql("ANALYZE ledger_events")

        // Host a forgets k1; host b, one event behind, forgets k2 by address (it catches up first).
        let byID = try CLI.run(["forget", "spring", "k1", "--reason", "GDPR request 1", "--json", "--log", pg.url], store: a)
        #expect(byID.status == 0, "\(byID)")
        #expect(try byID.json()["forgotten"][0]["position"].int == 5 && byID.json()["forgotten"][0]["addedPosition"].int == 2, "\(byID)")
        let byAddress = try CLI.run(["forget", "--address", "12", "--reason", "GDPR request 2", "--json", "--log", pg.url], store: b)
        #expect(byAddress.status == 0, "\(byAddress)")
        #expect(try byAddress.json()["forgotten"][0]["contact"].string == "k2" && byAddress.json()["forgotten"][0]["position"].int == 6, "\(byAddress)")

        // PostgreSQL's rows: the erased contact.added rows have no address and no salt, k2's keeps
        // its problem; no column of any row holds the number; k3 is untouched.
        let rows = try pg.sql(
            "SELECT position, address IS NULL, address_salt IS NULL, coalesce(address_problem, '-') FROM ledger_events WHERE canonical LIKE '{\"type\":\"contact.added\",%' ORDER BY position")
        #expect(rows == "2|t|t|-\n3|t|t|\(problem)\n4|f|f|-", "\(rows)")
        #expect(try pg.sql("SELECT count(*) FROM ledger_events e WHERE strpos(e::text, '777123456') > 0") == "0")

        // Host a follows b's erasure, a new host c follows the whole log (erased rows included):
        // the same answers, exports and head everywhere, and verify --log passes on each.
        for store in [a, c] { #expect(try CLI.run(["follow", "--once", "--log", pg.url], store: store).status == 0) }
        for store in [a, b, c] {
            let k1 = try CLI.run(["contact", "show", "spring", "k1", "--json"], store: store).json()
            #expect(k1["address"].isNull && k1["forgotten"].bool == true, "\(store): \(k1)")
            let k2 = try CLI.run(["contact", "show", "spring", "k2", "--json"], store: store).json()
            #expect(k2["address"].isNull && k2["forgotten"].bool == true, "\(store): \(k2)")
            #expect(k2["state"].string == "invalid_record" && k2["reason"].string == problem, "\(store): \(k2)")
            let k3 = try CLI.run(["contact", "show", "spring", "k3", "--json"], store: store).json()
            #expect(k3["address"].string == "+420601000003" && k3["forgotten"].bool == nil, "\(store): \(k3)")
        }
        let heads = try [a, b, c].map { try Self.head($0, log: pg.url) }
        #expect(heads[0].0 == 6 && heads[1] == heads[0] && heads[2] == heads[0], "\(heads)")
        let exports = try [a, b, c].map { try CLI.run(["export"], store: $0).stdout }
        #expect(exports[0] == exports[1] && exports[0] == exports[2])
        #expect(!exports[2].contains("777123456") && exports[2].contains(#""addressProblem":"\#(problem)""#))

        // The old row versions leave PostgreSQL's files with VACUUM FULL (docs/scale-out.md).
        try pg.sql("VACUUM FULL ledger_events")
        try pg.sql("CHECKPOINT")
        #expect(Self.files(under: "\(pg.data)/base", holding: "777123456").isEmpty)
        // And the replica's file after `ledger compact`.
        #expect(try CLI.run(["compact"], store: a).status == 0)
        #expect(Self.files(under: a, holding: "777123456").isEmpty)

        // A store holding erasures, pushed into another log, is followed with the same answers.
        try pg.sql("CREATE DATABASE pushed")
        let other = pg.url.replacingOccurrences(of: "/postgres", with: "/pushed")
        #expect(try CLI.run(["log", "push", "--log", other], store: c).status == 0)
        #expect(try CLI.run(["follow", "--once", "--log", other], store: dir.at("d")).status == 0)
        #expect(try Self.head(dir.at("d"), log: other) == heads[0])
        #expect(try CLI.run(["export"], store: dir.at("d")).stdout == exports[0])
    }

    /// curl against a served ledger: the HTTP status and the body.
    static func http(
        _ method: String, _ url: String, body: String? = nil, headers: [String] = []
    ) throws -> (status: Int, body: String) {
        var args = ["/usr/bin/curl", "-s", "-m", "30", "-X", method, "-w", "\n%{http_code}", url]
        for h in headers { args += ["-H", h] }
        if let body { args += ["-H", "content-type: application/json", "--data-binary", body] }
        let r = try CLIProcess.run(args, timeout: 60)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    @Test(.enabled(if: PostgresCluster.unavailable == nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"),
                   "\(PostgresCluster.unavailable ?? "needs /usr/bin/curl")"))
    func serveFollowsTheLogAndAnswers503WhileItIsDown() throws {
        let pg = try PostgresCluster()
        let dir = try TempDir()
        let providers = try dir.write("providers.json", #"{"infobip": {"token": "ib-token-1"}}"#)
        let served = try BackgroundRun([
            try #require(CLI.binary).path, "serve", "--listen", "127.0.0.1:0", "--store", dir.at("served"), "--log", pg.url,
            "--providers", providers,
        ])
        var base: String?
        let deadline = Date(timeIntervalSinceNow: 60)
        while base == nil && Date() < deadline {
            let first = (try? served.scratch.read("out"))?.split(separator: "\n").first
            if let first, first.hasPrefix("listening on ") { base = String(first.dropFirst("listening on ".count)) }
            usleep(50_000)
        }
        let url = try #require(base, "ledger serve did not print its address within 60 s")
        // Another host imports; the served replica follows by itself.
        let file = try dir.write("history.jsonl", Fixture.text)
        #expect(try CLI.run(["import", file, "--log", pg.url], store: dir.at("other")).status == 0)
        var head = -1
        let followed = Date(timeIntervalSinceNow: 30)
        while head != 34 && Date() < followed {
            head = (try? JSON.parse(Self.http("GET", "\(url)/v1/head").body)["position"].int) ?? -1
            if head != 34 { usleep(100_000) }
        }
        #expect(head == 34, "the served replica did not follow the log to 34 within 30 s")
        // An append through the server goes through the log.
        let event = #"[{"id":"via-http","type":"campaign.resumed","campaign":"calls","at":"2026-11-21T09:00:00Z"}]"#
        let appended = try Self.http("POST", "\(url)/v1/events", body: event)
        #expect(appended.status == 200 || appended.status == 201, "\(appended)")
        #expect(try pg.sql("SELECT position FROM ledger_events WHERE id = 'via-http'") == "35")
        // A provider's delivery report to the served host goes through the log too.
        let report = #"{"results":[{"bulkId":"B1","messageId":"ib-r1","to":"420601234567","sentAt":"2026-11-20T09:30:00.000+0000","doneAt":"2026-11-20T09:30:05.000+0000","smsCount":1,"status":{"groupId":3,"groupName":"DELIVERED","id":5,"name":"DELIVERED_TO_HANDSET","description":"delivered"},"error":{"groupId":0,"groupName":"OK","id":0,"name":"NO_ERROR","description":"","permanent":false},"callbackData":"reminders/r1"}]}"#
        let bearer = "authorization: Bearer ib-token-1"
        let callback = try Self.http("POST", "\(url)/v1/callbacks/infobip", body: report, headers: [bearer])
        #expect(callback.status == 200 && callback.body.contains(#""appended""#), "\(callback)")
        #expect(try pg.sql("SELECT position, canonical::json->>'contact' FROM ledger_events WHERE canonical::json->>'providerRef' = 'ib-r1'") == "36|r1")
        let r1 = try JSON.parse(Self.http("GET", "\(url)/v1/campaigns/reminders/contacts/r1").body)
        #expect(r1["state"].string == "delivered", "\(r1)")
        // PostgreSQL down: appends 503, reads answer.
        pg.stop(immediate: true)
        let refused = try Self.http("POST", "\(url)/v1/events", body: #"[{"id":"down","type":"campaign.paused","campaign":"calls","at":"2026-11-21T10:00:00Z"}]"#)
        #expect(refused.status == 503, "\(refused)")
        let retried = try Self.http("POST", "\(url)/v1/callbacks/infobip", body: report.replacingOccurrences(of: "ib-r1", with: "ib-r2"), headers: [bearer])
        #expect(retried.status == 503, "a callback while the log is down: \(retried)")
        #expect(try Self.http("GET", "\(url)/v1/head").status == 200)
        served.kill()
        _ = try served.wait(timeout: 30)
    }
}

/// A child process running in the background, its output collected in files.
final class BackgroundRun: @unchecked Sendable {
    let process = Process()
    let scratch: TempDir
    let out: FileHandle, err: FileHandle

    init(_ arguments: [String]) throws {
        scratch = try TempDir()
        FileManager.default.createFile(atPath: scratch.at("out"), contents: nil)
        FileManager.default.createFile(atPath: scratch.at("err"), contents: nil)
        out = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch.at("out")))
        err = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch.at("err")))
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.currentDirectoryURL = scratch.url
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    func kill() { Foundation.kill(process.processIdentifier, SIGKILL) }

    /// Waits at most `timeout` seconds (then kills it and throws).
    func wait(timeout: Double) throws -> CLIResult {
        try process.waitForExit(within: timeout, "\(process.arguments ?? [])")
        try? out.close()
        try? err.close()
        return CLIResult(status: process.terminationStatus, stdout: try scratch.read("out"), stderr: try scratch.read("err"))
    }

    deinit {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
