import Foundation
import Testing

/// `ledger forget` and `ledger compact` as an operator runs them (docs/erasure.md): the address
/// leaves every file of the store, the chain and old checkpoints still verify, evidence still
/// checks, a rebuild and a restore give the same answers, twice is a no-op, and a kill -9 leaves
/// all of an erasure or none of it.
@Suite(.timeLimit(.minutes(10))) struct CLIForgetTests {
    static let given = "+420 601 234 567"
    static let digits = "420601234567"

    static let history = [
        #"{"id":"e1","type":"campaign.created","campaign":"spring","channel":"whatsapp","at":"2026-11-20T08:00:00Z"}"#,
        #"{"id":"e2","type":"contact.added","campaign":"spring","contact":"c1","address":"\#(given)","at":"2026-11-20T08:00:01Z"}"#,
        #"{"id":"e3","type":"contact.added","campaign":"spring","contact":"c2","address":"+420 777 000 111","at":"2026-11-20T08:00:02Z"}"#,
        #"{"id":"e4","type":"campaign.started","campaign":"spring","at":"2026-11-20T08:01:00Z"}"#,
        #"{"id":"e5","type":"contact.status","campaign":"spring","contact":"c1","status":"sent","providerRef":"wamid.A1","at":"2026-11-20T08:02:00Z"}"#,
        #"{"id":"e6","type":"contact.status","campaign":"spring","contact":"c1","status":"read","providerRef":"wamid.A1","at":"2026-11-20T08:03:00Z"}"#,
        #"{"id":"e7","type":"contact.status","campaign":"spring","contact":"c2","status":"delivery_failed","code":"131026","at":"2026-11-20T08:04:00Z"}"#,
        #"{"id":"e8","type":"campaign.created","campaign":"autumn","channel":"sms","at":"2026-11-21T08:00:00Z"}"#,
        #"{"id":"e9","type":"contact.added","campaign":"autumn","contact":"k1","address":"+420777000222","at":"2026-11-21T08:00:01Z"}"#,
    ]

    /// A Meta webhook whose correlation data names the number (digits only) as the contact:
    /// no such contact, so it is parked, holding the digits-only form of the address.
    static let webhook = #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","statuses":[{"id":"wamid.P1","status":"delivered","timestamp":"1767604300","recipient_id":"\#(digits)","biz_opaque_callback_data":"spring/\#(digits)"}]}}]}]}"#

    /// How many times `needle` occurs in the files of the store directory.
    func occurrences(of needle: String, in store: String) throws -> Int {
        let bytes = Array(needle.utf8)
        var count = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: store) {
            let data = Array(try Data(contentsOf: URL(fileURLWithPath: store + "/" + name)))
            guard data.count >= bytes.count else { continue }
            var i = 0
            while i <= data.count - bytes.count {
                if data[i] == bytes[0] && Array(data[i..<i + bytes.count]) == bytes { count += 1 }
                i += 1
            }
        }
        return count
    }

    func object(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    /// The contacts of both campaigns and the metrics, without the fields that name the build
    /// or the log position that answered.
    func answers(_ store: String) throws -> String {
        var out = ""
        for args in [["contact", "list", "spring"], ["contact", "list", "autumn"], ["metrics", "spring"], ["campaign", "show", "spring"]] {
            let r = try CLI.run(args + ["--json"], store: store)
            try #require(r.status == 0, "\(r)")
            out += r.stdout.replacingOccurrences(of: #""(position|build|projectionVersion)":[0-9]+,?"#, with: "", options: .regularExpression)
        }
        return out
    }

    @Test func theAddressLeavesEveryFileAndEverythingElseStays() throws {
        let dir = try TempDir()
        let store = dir.at("store")
        let file = try dir.write("history.jsonl", Self.history.joined(separator: "\n") + "\n")
        #expect(try CLI.run(["import", file], store: store).status == 0)
        let hooks = try dir.write("hooks.jsonl", Self.webhook + "\n")
        let parked = try CLI.run(["callbacks", "import", "--provider", "meta", hooks], store: store)
        #expect(parked.stdout.contains("1 parked"), "\(parked)")
        // Both forms are in the files before: the test can see them.
        #expect(try occurrences(of: Self.given, in: store) > 0)
        #expect(try occurrences(of: Self.digits, in: store) > 0)

        let verifyBefore = try CLI.run(["verify"], store: store)
        let head = try #require(verifyBefore.stdoutLines.last?.split(separator: " ").map(String.init))
        try #require(head.count == 3 && head[0] == "head", "\(verifyBefore)")
        let checkpoint = "\(head[1]):\(head[2])"
        let answersBefore = try answers(store)

        let forget = try CLI.run(
            ["forget", "--address", "+420601234567", "--reason", "GDPR request 31", "--actor", "admin:al", "--compact", "--json"],
            store: store)
        #expect(forget.status == 0, "\(forget)")
        let result = try object(forget.stdout)
        #expect((result["forgotten"] as? [[String: Any]])?.map { $0["contact"] as? String } == ["c1"])
        #expect(result["parkedCallbacksDropped"] as? Int == 1)
        #expect(result["compacted"] is [String: Any], "\(forget.stdout)")

        // No byte sequence of the address is left in any file of the store.
        #expect(try occurrences(of: Self.given, in: store) == 0)
        #expect(try occurrences(of: Self.digits, in: store) == 0)
        #expect(try occurrences(of: "+420777000222", in: store) > 0, "another contact's address is kept")

        // The chain: whole, and the checkpoint taken before the erasure still holds.
        #expect(try CLI.run(["verify"], store: store).status == 0)
        let old = try CLI.run(["verify", "--checkpoint", checkpoint], store: store)
        #expect(old.status == 0, "\(old)")

        // The contact: address gone, state kept; the metrics count it as before.
        let contact = try object(try CLI.run(["contact", "show", "spring", "c1", "--json"], store: store).stdout)
        #expect(contact["address"] is NSNull && contact["forgotten"] as? Bool == true)
        #expect(contact["state"] as? String == "read")
        let text = try CLI.run(["contact", "show", "spring", "c1"], store: store)
        #expect(text.stdout.contains("forgotten"), "\(text)")
        let answersAfter = try answers(store)
        let expected = answersBefore.replacingOccurrences(
            of: #""address":"\#(Self.given)","#, with: #""address":null,"forgotten":true,"#)
        #expect(expected != answersBefore && answersAfter == expected, "before:\n\(answersBefore)\nafter:\n\(answersAfter)")
        #expect(answersAfter.contains(#""contact":"k1""#))
        let history = try CLI.run(["history", "spring", "c1", "--json"], store: store)
        #expect(history.stdout.contains(#""effect":"erased""#), "\(history)")

        // Evidence of the campaign checks against the checkpoint from before the erasure.
        if let python = Python.interpreter {
            let evidence = dir.at("spring-evidence.jsonl")
            #expect(try CLI.run(["export", "--campaign", "spring", "--evidence", "--output", evidence], store: store).status == 0)
            #expect(!(try dir.read("spring-evidence.jsonl")).contains(Self.given))
            let script = CLI.packageRoot.appendingPathComponent("tools/check_evidence.py").path
            let checked = try Python.run(python, [script, evidence, checkpoint])
            #expect(checked.status == 0, "\(checked)")
        } else {
            Issue.record("python3 is not on PATH: the evidence check did not run")
        }

        // A rebuild gives the same answers.
        let afterForget = try answers(store)
        #expect(try CLI.run(["rebuild"], store: store).status == 0)
        #expect(try answers(store) == afterForget)

        // An export taken now, restored into a new store: the same head and answers.
        let export = dir.at("export.jsonl")
        #expect(try CLI.run(["export", "--output", export], store: store).status == 0)
        #expect(!(try dir.read("export.jsonl")).contains(Self.given))
        let restored = dir.at("restored")
        let restore = try CLI.run(["import", "--restore", export], store: restored)
        #expect(restore.status == 0, "\(restore)")
        #expect(try answers(restored) == afterForget)
        #expect(try CLI.run(["verify"], store: restored).stdoutLines.last == (try CLI.run(["verify"], store: store)).stdoutLines.last)

        // Twice: a no-op that says so, by contact and by address.
        let headNow = try CLI.run(["verify"], store: store).stdoutLines.last
        let twice = try CLI.run(["forget", "spring", "c1", "--reason", "again"], store: store)
        #expect(twice.status == 0 && twice.stdout.contains("forgotten before: nothing to do"), "\(twice)")
        let byAddress = try CLI.run(["forget", "--address", Self.given, "--reason", "again"], store: store)
        #expect(byAddress.status == 0 && byAddress.stdout.contains("nothing to erase"), "\(byAddress)")
        #expect(try CLI.run(["verify"], store: store).stdoutLines.last == headNow)
        // An unknown contact is an error; a missing reason is a usage error.
        #expect(try CLI.run(["forget", "spring", "nobody", "--reason", "x"], store: store).status == 2)
        #expect(try CLI.run(["forget", "spring", "c2"], store: store).status == 64)
    }

    /// kill -9 at spread moments of a `forget --address` that erases 600 contacts in one
    /// transaction: afterwards either all 600 are forgotten or none, and the store verifies.
    @Test func aKilledForgetLeavesAllOrNothing() throws {
        let dir = try TempDir()
        let template = dir.at("template")
        var lines = [#"{"type":"campaign.created","campaign":"m","channel":"sms","at":"2026-11-20T08:00:00Z"}"#]
        for i in 0..<1200 {
            let address = i % 2 == 0 ? "+49 170 5550001" : "+49 170 \(5_000_000 + i)"
            lines.append(#"{"type":"contact.added","campaign":"m","contact":"c\#(i)","address":"\#(address)","at":"2026-11-20T08:00:01Z"}"#)
        }
        let file = try dir.write("many.jsonl", lines.joined(separator: "\n") + "\n")
        #expect(try CLI.run(["import", file], store: template).status == 0)

        func copy(_ name: String) throws -> String {
            let store = dir.at(name)
            try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: template + "/data.mdb", toPath: store + "/data.mdb")
            return store
        }
        func forgottenCount(_ store: String) throws -> Int {
            let r = try CLI.run(["contact", "list", "m", "--json", "--limit", "2000"], store: store)
            try #require(r.status == 0, "\(r)")
            let list = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
            #expect(list.count == 1200)
            return list.filter { $0["forgotten"] as? Bool == true }.count
        }
        let binary = try #require(CLI.binary)
        let arguments = ["forget", "--address", "+491705550001", "--reason", "GDPR"]

        // One uninterrupted run: how long it takes, and that it erases all 600.
        let whole = try copy("whole")
        let started = Date()
        let r = try CLI.run(arguments, store: whole)
        let duration = Date().timeIntervalSince(started)
        #expect(r.status == 0, "\(r)")
        #expect(try forgottenCount(whole) == 600)

        var outcomes: [Int] = []
        for round in 0..<6 {
            let store = try copy("round\(round)")
            let process = Process()
            process.executableURL = binary
            process.arguments = arguments + ["--store", store]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(useconds_t(duration * Double(round + 1) / 4 * 1_000_000))
            kill(process.processIdentifier, SIGKILL)
            try process.waitForExit(within: 30, "a killed forget")
            let n = try forgottenCount(store)
            #expect(n == 0 || n == 600, "round \(round): \(n) of 600 forgotten after kill -9")
            let verify = try CLI.run(["verify"], store: store)
            #expect(verify.status == 0, "round \(round): \(verify)")
            outcomes.append(n)
        }
        print("kill -9 during forget: forgotten counts per round \(outcomes) (an uninterrupted run took \(String(format: "%.2f", duration)) s)")
    }
}
