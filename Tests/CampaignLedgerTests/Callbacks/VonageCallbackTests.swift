import CampaignLedger
import Foundation
import Testing

/// A Vonage Messages API status webhook body, as Vonage posts it.
func vonageStatus(status: String, uuid: String = "aa51c1e2-7d3b-4c5e-9f10-2b3c4d5e6f70", clientRef: String? = "c1/k1/1", error: Bool = false) -> String {
    var s = #"{"message_uuid":"\#(uuid)","to":"420601234567","from":"420800123456","timestamp":"2026-01-05T09:30:00.120Z","status":"\#(status)","channel":"whatsapp""#
    if let clientRef { s += #","client_ref":"\#(clientRef)""# }
    if error {
        s += #","error":{"type":"https://developer.vonage.com/api-errors/messages#1330","title":"1330","detail":"Recipient is not a valid WhatsApp user","instance":"bf0ca0bf-9271-4c2b-b0f2-0bdcd6e70c8d"}"#
    }
    return s + #","usage":{"currency":"EUR","price":"0"}}"#
}

@Suite struct VonageCallbackTests {
    @Test(arguments: [
        ("submitted", "sent"), ("delivered", "delivered"), ("read", "read"), ("rejected", "sending_failed"),
        ("undeliverable", "delivery_failed"), ("failed", "delivery_failed"),
    ])
    func everyStatusOfTheTable(status: String, expected: String) throws {
        let failing = ["rejected", "undeliverable", "failed"].contains(status)
        let s = try #require(outcome(.vonage, Signed.vonage(vonageStatus(status: status, error: failing))).value?.first)
        #expect(s.status?.rawValue == expected)
        #expect(s.providerStatus == status)
        #expect(s.messageID == "aa51c1e2-7d3b-4c5e-9f10-2b3c4d5e6f70")
        #expect(s.correlation == Correlation(campaign: "c1", contact: "k1", attempt: 1))
        #expect(s.at == "2026-01-05T09:30:00.120Z")
        #expect(s.code == (failing ? "1330" : nil))
        #expect(s.reason == (failing ? "Recipient is not a valid WhatsApp user" : nil))
        #expect(s.eventID == expectedEventID("vonage", ["aa51c1e2-7d3b-4c5e-9f10-2b3c4d5e6f70", status]))
    }

    @Test func aJWTWithAnotherSecretAlgorithmOrBodyIsUnauthenticated() {
        let body = vonageStatus(status: "delivered")
        #expect(outcome(.vonage, Signed.vonage(body, token: Signed.vonageJWT(body: body, secret: "other"))).error?.isUnauthenticated == true)
        #expect(outcome(.vonage, Signed.vonage(body, token: Signed.vonageJWT(body: body, alg: "HS512"))).error?.isUnauthenticated == true)
        #expect(outcome(.vonage, Signed.vonage(body, token: Signed.vonageJWT(body: body, payloadHash: sha256Hex(body + " ")))).error?.isUnauthenticated == true)
        // An unsigned token ("alg":"none", no signature) is refused.
        let parts = Signed.vonageJWT(body: body).split(separator: ".")
        let none = base64URL(Array(#"{"alg":"none","typ":"JWT"}"#.utf8)) + "." + parts[1] + "."
        #expect(outcome(.vonage, Signed.vonage(body, token: none)).error?.isUnauthenticated == true)
        #expect(outcome(.vonage, Signed.vonage(body, token: "not-a-jwt")).error?.isUnauthenticated == true)
        let missing = CallbackRequest(body: Array(body.utf8), url: "/v1/callbacks/vonage")
        #expect(outcome(.vonage, missing).error?.isUnauthenticated == true)
    }

    @Test func anUnknownStatusAndAMissingUUIDAreProblems() throws {
        let unknown = try #require(outcome(.vonage, Signed.vonage(vonageStatus(status: "expired"))).value?.first)
        #expect(unknown.status == nil)
        #expect(unknown.problem?.contains("unknown vonage status 'expired'") == true)
        let body = #"{"to":"420601234567","status":"delivered","timestamp":"2026-01-05T09:30:00Z"}"#
        let noID = try #require(outcome(.vonage, Signed.vonage(body)).value?.first)
        #expect(noID.messageID == nil)
        #expect(noID.problem?.contains("without a message id") == true)
    }

    @Test(arguments: ["[]", "{}", "null", "plain text"])
    func aBodyNotInVonagesFormatIsMalformed(body: String) {
        #expect(outcome(.vonage, Signed.vonage(body)).error?.isMalformed == true)
    }
}
