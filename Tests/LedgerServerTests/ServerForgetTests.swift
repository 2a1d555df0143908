import Foundation
import NIOHTTP1
import Testing

/// `POST /v1/forget` (docs/erasure.md, docs/server.md) on a running `ledger serve`, and
/// `ledger compact` refused while the server holds the store.
@Suite(.timeLimit(.minutes(5))) struct ServerForgetTests {
    func object(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    @Test func anAdminErasesOverHTTPAndCompactionWaitsForTheServer() async throws {
        let tokensDir = try Scratch()
        defer { tokensDir.remove() }
        let tokens = try tokensDir.write("tokens", "wr1ter read,append\nadm1n read,append,admin\n")
        let (scratch, store, server) = try await startSample(["--tokens", tokens])
        defer { server.stopIfRunning(); scratch.remove() }

        let body = #"{"campaign":"spring","contact":"c1","reason":"GDPR request 12","actor":"admin:al"}"#
        #expect(try await server.request(.POST, "/v1/forget", body: body).status == 401)
        #expect(try await server.request(.POST, "/v1/forget", body: body, token: "wr1ter").status == 403)
        // An append token cannot erase through /v1/events either.
        let sneaky = #"[{"type":"contact.forgotten","campaign":"spring","contact":"c1","at":"2026-11-21T08:00:00Z","reason":"x"}]"#
        #expect(try await server.request(.POST, "/v1/events", body: sneaky, token: "wr1ter").status == 403)
        let unchanged = try object(try await server.request(.GET, "/v1/campaigns/spring/contacts/c1", token: "wr1ter").body)
        #expect(unchanged["address"] as? String == "+420601234567")

        let done = try await server.request(.POST, "/v1/forget", body: body, token: "adm1n")
        #expect(done.status == 200, "\(done.body)")
        let result = try object(done.body)
        let forgotten = try #require(result["forgotten"] as? [[String: Any]])
        #expect(forgotten.count == 1 && forgotten.first?["contact"] as? String == "c1")
        #expect(forgotten.first?["addedPosition"] as? Int == 3)

        let contact = try object(try await server.request(.GET, "/v1/campaigns/spring/contacts/c1", token: "adm1n").body)
        #expect(contact["address"] is NSNull)
        #expect(contact["forgotten"] as? Bool == true)
        #expect(contact["state"] as? String == "read")
        let history = try await server.request(.GET, "/v1/campaigns/spring/history?contact=c1", token: "adm1n")
        #expect(history.body.contains(#""effect":"erased""#), "\(history.body)")

        // Twice: nothing more, said.
        let again = try object(try await server.request(.POST, "/v1/forget", body: body, token: "adm1n").body)
        #expect((again["forgotten"] as? [Any])?.isEmpty == true)
        #expect((again["alreadyForgotten"] as? [[String: Any]])?.first?["contact"] as? String == "c1")
        // By address, a number nobody holds: nothing to do, not an error.
        let nobody = try await server.request(
            .POST, "/v1/forget", body: #"{"address":"+420 601 234 567","reason":"again"}"#, token: "adm1n")
        #expect(nobody.status == 200)
        #expect((try object(nobody.body)["forgotten"] as? [Any])?.isEmpty == true)
        #expect(try await server.request(.POST, "/v1/forget", body: #"{"campaign":"spring","contact":"c2"}"#, token: "adm1n").status == 400)
        #expect(try await server.request(
            .POST, "/v1/forget", body: #"{"campaign":"spring","contact":"nobody","reason":"x"}"#, token: "adm1n").status == 404)

        // Compaction needs the store to itself: refused while the server has it open.
        let refused = try ledger(["compact", "--store", store])
        #expect(refused.status == 69, "\(refused)")
        #expect(refused.err.contains("open"), "\(refused.err)")
        #expect(try await server.request(.GET, "/v1/head", token: "adm1n").status == 200)
        try server.stop()
        let compacted = try ledger(["compact", "--store", store, "--json"])
        #expect(compacted.status == 0, "\(compacted)")
        let verify = try ledger(["verify", "--store", store])
        #expect(verify.status == 0, "\(verify)")
    }
}
