import CampaignLedger
import Crypto
import Foundation
import Testing

@Suite struct CallbackPrimitiveTests {
    /// RFC 4231 test case 2 pins HMAC-SHA256 (Meta, Vonage).
    @Test func hmacSHA256MatchesRFC4231() {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("what do ya want for nothing?".utf8), using: SymmetricKey(data: Array("Jefe".utf8)))
        #expect(hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    /// RFC 2202 test case 2 pins HMAC-SHA1 (Twilio).
    @Test func hmacSHA1MatchesRFC2202() {
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array("what do ya want for nothing?".utf8), using: SymmetricKey(data: Array("Jefe".utf8)))
        #expect(hex(mac) == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
    }
}

@Suite struct CallbackCorrelationTests {
    private func correlation(_ data: String) throws -> Correlation? {
        let body = metaStatuses([metaStatus(status: "sent", callbackData: data)])
        return try #require(outcome(.meta, Signed.meta(body)).value?.first).correlation
    }

    @Test func wellFormedCorrelationIsDecoded() throws {
        #expect(try correlation("c1/k1/3") == Correlation(campaign: "c1", contact: "k1", attempt: 3))
        #expect(try correlation("c1/k1") == Correlation(campaign: "c1", contact: "k1", attempt: nil))
        #expect(try correlation("spring%20sale/k%2F1/1000000") == Correlation(campaign: "spring sale", contact: "k/1", attempt: 1_000_000))
        #expect(try correlation("caf%C3%A9/%2B420601234567/1") == Correlation(campaign: "café", contact: "+420601234567", attempt: 1))
    }

    @Test(arguments: ["cmp=7f3a;cc=000123;att=1", "c1", "c1/k1/1/x", "/k1/1", "c1//1", "c1/k1/0", "c1/k1/1000001", "c1/k1/x",
                      "c1/k1/", "c1/k1/+1", "c%zz/k1/1", "c1/k%01/1", "c1/k1/01x"])
    func malformedCorrelationIsNone(data: String) throws {
        #expect(try correlation(data) == nil)
    }
}

@Suite struct CallbackEventIDTests {
    @Test func theIDIsStableAcrossRequestsAndIndependentOfTheRestOfTheBody() throws {
        let first = try #require(outcome(.vonage, Signed.vonage(vonageStatus(status: "read"))).value?.first)
        let retried = try #require(outcome(.vonage, Signed.vonage(vonageStatus(status: "read", clientRef: nil))).value?.first)
        #expect(first.eventID == retried.eventID)
        #expect(first.bodySHA256 != retried.bodySHA256)
        #expect(first.eventID == "cb-vonage-" + String(sha256Hex("aa51c1e2-7d3b-4c5e-9f10-2b3c4d5e6f70\u{0}read").prefix(32)))
    }

    @Test func everyPartOfTheKeyMakesADifferentID() throws {
        func id(_ status: String, _ sid: String = "SM1", code: String? = nil, done: String? = nil) throws -> String {
            try #require(outcome(.twilio, Signed.twilio(twilioForm(status: status, sid: sid, errorCode: code, doneDate: done))).value?.first).eventID
        }
        let ids = try [id("sent"), id("delivered"), id("sent", "SM2"), id("undelivered", code: "30003"), id("undelivered", code: "30005"),
                       id("delivered", done: "2601050931"), id("delivered", done: "2601050932")]
        #expect(Set(ids).count == ids.count)
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        #expect(try id("c", "SMab") != id("bc", "SMa"))
        for i in ids {
            #expect(i.hasPrefix("cb-twilio-") && i.utf8.count == "cb-twilio-".utf8.count + 32)
        }
    }

    @Test func providersNeverShareAnID() throws {
        let meta = try #require(outcome(.meta, Signed.meta(metaStatuses([metaStatus(id: "x", status: "read")]))).value?.first)
        let vonage = try #require(outcome(.vonage, Signed.vonage(vonageStatus(status: "read", uuid: "x"))).value?.first)
        #expect(meta.eventID != vonage.eventID)
    }
}

@Suite struct CallbackSettingsTests {
    private func parse(_ json: String) -> Result<CallbackSettings, CallbackSettings.LoadError> {
        Result { () throws(CallbackSettings.LoadError) in try CallbackSettings.parse(Data(json.utf8)) }
    }

    @Test func theDocumentedFileIsRead() throws {
        let settings = try parse(#"{"meta":{"appSecret":"a"},"twilio":{"authToken":"t","publicBaseUrl":"https://hooks.example.com/"},"infobip":{"token":"i"},"vonage":{"signatureSecret":"v"}}"#).get()
        #expect(settings.configured == [.meta, .twilio, .infobip, .vonage])
        #expect(settings.twilio == .init(authToken: "t", publicBaseUrl: "https://hooks.example.com"))
        #expect(settings.meta?.appSecret == "a")
        #expect(settings.infobip?.token == "i")
        #expect(settings.vonage?.signatureSecret == "v")
        #expect(try parse(#"{"vonage":{"signatureSecret":"v"}}"#).get().configured == [.vonage])
        #expect(try parse("{}").get().configured == [])
    }

    @Test(arguments: [
        (#"{"whatsapp":{"appSecret":"a"}}"#, "unknown provider \"whatsapp\""),
        (#"{"meta":{}}"#, "\"meta\" has no \"appSecret\""),
        (#"{"meta":{"appSecret":""}}"#, "must be a non-empty string"),
        (#"{"meta":{"appSecret":7}}"#, "must be a non-empty string"),
        (#"{"meta":{"appsecret":"a"}}"#, "unknown field \"appsecret\""),
        (#"{"meta":"a"}"#, "must be an object"),
        (#"{"twilio":{"authToken":"t","publicBaseUrl":"hooks.example.com"}}"#, "must start with https://"),
        ("meta: a", "not a JSON object"),
        ("[]", "not a JSON object"),
    ])
    func aBadFileIsOneLineSayingWhy(json: String, expected: String) {
        let message = parse(json).error?.message ?? "accepted"
        #expect(message.contains(expected), "\(message)")
        #expect(!message.contains("\n"))
    }

    /// During a rotation a secret is an array, new first: a callback signed with any of them is
    /// taken, one signed with neither is refused.
    @Test func aSecretBeingRotatedIsAnArrayAndEitherIsAccepted() throws {
        let settings = try parse(#"{"meta":{"appSecret":["new-secret","old-secret"]},"infobip":{"token":["t2","t1"]}}"#).get()
        #expect(settings.meta?.appSecret == "new-secret")
        #expect(settings.secrets(.meta) == ["new-secret", "old-secret"])
        #expect(settings.secrets(.infobip) == ["t2", "t1"])
        #expect(settings.secrets(.twilio) == [])
        let body = #"{"object":"whatsapp_business_account","entry":[]}"#
        for secret in ["new-secret", "old-secret"] {
            #expect(throws: Never.self) { try ProviderCallbacks.statuses(provider: .meta, request: Signed.meta(body, secret: secret), settings: settings) }
        }
        let refused = Result { () throws(CallbackError) in
            try ProviderCallbacks.statuses(provider: .meta, request: Signed.meta(body, secret: "another"), settings: settings)
        }
        guard case .failure(.unauthenticated) = refused else {
            Issue.record("a third secret was accepted: \(refused)")
            return
        }
        #expect(Result { () throws(CallbackError) in
            try ProviderCallbacks.statuses(provider: .infobip, request: Signed.infobip(#"{"results":[]}"#, authorization: "Bearer t1"), settings: settings)
        }.error == nil)
        for bad in [#"{"meta":{"appSecret":[]}}"#, #"{"meta":{"appSecret":["a",""]}}"#, #"{"meta":{"appSecret":["a",7]}}"#] {
            #expect(parse(bad).error?.message.contains("array of them") == true, "\(bad)")
        }
    }

    @Test func loadNamesTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("callback-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("providers.json").path
        try Data(#"{"infobip":{"token":"i"}}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(try CallbackSettings.load(path: path).configured == [.infobip])
        try Data(#"{"sinch":{}}"#.utf8).write(to: URL(fileURLWithPath: path))
        let error = Result { () throws(CallbackSettings.LoadError) in try CallbackSettings.load(path: path) }.error
        #expect(error?.message.hasPrefix(path + ": unknown provider") == true)
        let missing = Result { () throws(CallbackSettings.LoadError) in try CallbackSettings.load(path: path + ".absent") }.error
        #expect(missing?.message.contains("cannot read") == true)
    }
}

@Suite struct CallbackDocsTests {
    /// docs/callbacks.md shows exactly the table the parsers use.
    @Test func theDocsHoldTheRenderedMappingTable() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let docs = try String(contentsOf: root.appendingPathComponent("docs/callbacks.md"), encoding: .utf8)
        let table = CallbackMapping.markdownTable()
        #expect(docs.contains(table), "docs/callbacks.md must contain CallbackMapping.markdownTable() verbatim:\n\(table)")
        // And no other row of the table's shape: the rendered one is the whole table.
        let rows = docs.split(separator: "\n").filter { $0.hasPrefix("| meta |") || $0.hasPrefix("| twilio |") || $0.hasPrefix("| infobip |") || $0.hasPrefix("| vonage |") }
        #expect(rows.count == table.split(separator: "\n").count - 2)
    }

    @Test func theTableHasARowForEveryDocumentedStatus() {
        let table = CallbackMapping.markdownTable()
        #expect(table.contains("| meta | `failed` with error code 131050 | `blocked_or_spam` |"))
        #expect(table.contains("| infobip | a seen report (`seenAt`) | `read` |"))
        #expect(table.contains("| twilio | `sending` | `in_progress` |"))
        #expect(table.contains("| vonage | `submitted` | `sent` |"))
    }
}
