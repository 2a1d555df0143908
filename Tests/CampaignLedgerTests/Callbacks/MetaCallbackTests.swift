import CampaignLedger
import Foundation
import Testing

/// A WhatsApp Cloud API webhook with `statuses` items (JSON objects as text), as Meta posts it.
func metaStatuses(_ items: [String], changes: Int = 1) -> String {
    let change = #"{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"420800123456","phone_number_id":"215500112233445"},"statuses":[\#(items.joined(separator: ","))]}}"#
    return #"{"object":"whatsapp_business_account","entry":[{"id":"310987654321098","changes":[\#(Array(repeating: change, count: changes).joined(separator: ","))]}]}"#
}

func metaStatus(id: String = "wamid.HBgMNDIwNjAxMjM0NTY3FQIAERgSQ0FNUEFJR05fMDAxXzAwMTIzAA==", status: String,
                timestamp: String = "1767605400", callbackData: String? = "c1/k1/1", errorCode: Int? = nil) -> String {
    var s = #"{"id":"\#(id)","status":"\#(status)","timestamp":"\#(timestamp)","recipient_id":"420601234567""#
    if let callbackData { s += #","biz_opaque_callback_data":"\#(callbackData)""# }
    if let errorCode {
        s += #","errors":[{"code":\#(errorCode),"title":"Message undeliverable","message":"Message undeliverable","error_data":{"details":"Message Undeliverable."},"href":"https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]"#
    }
    if status == "sent" {
        s += #","pricing":{"billable":true,"pricing_model":"PMP","type":"regular","category":"marketing"}"#
    }
    return s + "}"
}

@Suite struct MetaCallbackTests {
    @Test(arguments: [
        ("sent", nil, "sent"), ("delivered", nil, "delivered"), ("read", nil, "read"), ("played", nil, "read"),
        ("failed", 131026, "sending_failed"), ("failed", 131050, "blocked_or_spam"), ("failed", 131049, "delivery_failed"),
        ("failed", nil, "delivery_failed"),
    ] as [(String, Int?, String)])
    func everyStatusOfTheTable(status: String, code: Int?, expected: String) throws {
        let body = metaStatuses([metaStatus(status: status, errorCode: code)])
        let statuses = try #require(outcome(.meta, Signed.meta(body)).value)
        #expect(statuses.count == 1)
        let s = try #require(statuses.first)
        #expect(s.status?.rawValue == expected)
        #expect(s.providerStatus == status)
        #expect(s.messageID == "wamid.HBgMNDIwNjAxMjM0NTY3FQIAERgSQ0FNUEFJR05fMDAxXzAwMTIzAA==")
        #expect(s.correlation == Correlation(campaign: "c1", contact: "k1", attempt: 1))
        #expect(s.at == "2026-01-05T09:30:00Z")
        #expect(s.code == code.map(String.init))
        #expect(s.reason == (code == nil ? nil : "Message undeliverable"))
        #expect(s.problem == nil)
        #expect(s.provider == .meta)
        #expect(s.bodySHA256 == sha256Hex(body))
        #expect(s.eventID == expectedEventID("meta", [s.messageID!, status, code.map(String.init) ?? ""]))
    }

    @Test func aBatchOverEntriesChangesAndStatusesKeepsEveryStatusInOrder() throws {
        let items = [
            metaStatus(id: "wamid.A", status: "delivered", timestamp: "1767605402", callbackData: "c1/k1/1"),
            metaStatus(id: "wamid.B", status: "read", timestamp: "1767605461", callbackData: "c1/k2"),
        ]
        let body = metaStatuses(items, changes: 2)
        let statuses = try #require(outcome(.meta, Signed.meta(body)).value)
        #expect(statuses.map(\.messageID) == ["wamid.A", "wamid.B", "wamid.A", "wamid.B"])
        #expect(statuses.map { $0.status?.rawValue } == ["delivered", "read", "delivered", "read"])
        #expect(statuses.map(\.at) == ["2026-01-05T09:30:02Z", "2026-01-05T09:31:01Z", "2026-01-05T09:30:02Z", "2026-01-05T09:31:01Z"])
        #expect(statuses[1].correlation == Correlation(campaign: "c1", contact: "k2", attempt: nil))
        // The same status twice in one request is one event id: the ledger counts it once.
        #expect(statuses[0].eventID == statuses[2].eventID)
        #expect(statuses[0].eventID != statuses[1].eventID)
    }

    @Test func anInboundReplyWithContextIsRespondedAndOneWithoutIsIgnored() throws {
        let body = #"""
            {"object":"whatsapp_business_account","entry":[{"id":"310987654321098","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"420800123456","phone_number_id":"215500112233445"},"contacts":[{"profile":{"name":"Jana"},"wa_id":"420601234567"}],"messages":[{"context":{"from":"420800123456","id":"wamid.ORIGINAL"},"from":"420601234567","id":"wamid.REPLY","timestamp":"1767606000","type":"button","button":{"payload":"STOP","text":"Stop"}},{"from":"420601234567","id":"wamid.FREE","timestamp":"1767606001","type":"text","text":{"body":"hello"}}]}}]}]}
            """#
        let statuses = try #require(outcome(.meta, Signed.meta(body)).value)
        #expect(statuses.count == 1)
        let s = try #require(statuses.first)
        #expect(s.status == .responded)
        #expect(s.messageID == "wamid.ORIGINAL")
        #expect(s.correlation == nil)
        #expect(s.at == "2026-01-05T09:40:00Z")
        #expect(s.eventID == expectedEventID("meta", ["wamid.REPLY", "responded"]))
        #expect(s.problem == nil)
    }

    @Test func anUnknownStatusIsAProblemAndTheOthersStillCount() throws {
        let body = metaStatuses([
            metaStatus(id: "wamid.A", status: "deleted"), metaStatus(id: "wamid.B", status: "delivered"),
        ])
        let statuses = try #require(outcome(.meta, Signed.meta(body)).value)
        #expect(statuses.count == 2)
        #expect(statuses[0].status == nil)
        #expect(statuses[0].providerStatus == "deleted")
        #expect(statuses[0].problem?.contains("unknown meta status 'deleted'") == true)
        #expect(statuses[1].status == .delivered)
        #expect(statuses[1].problem == nil)
    }

    @Test func aStatusWithoutAMessageIDIsAProblem() throws {
        let body = metaStatuses([#"{"status":"delivered","timestamp":"1767605402","recipient_id":"420601234567"}"#])
        let s = try #require(outcome(.meta, Signed.meta(body)).value?.first)
        #expect(s.messageID == nil)
        #expect(s.status == .delivered)
        #expect(s.problem?.contains("without a message id") == true)
    }

    @Test func anUnreadableTimestampLeavesAtNil() throws {
        let body = metaStatuses([metaStatus(status: "sent", timestamp: "yesterday")])
        let s = try #require(outcome(.meta, Signed.meta(body)).value?.first)
        #expect(s.at == nil)
        #expect(s.status == .sent)
    }

    @Test func aWrongOrMissingSignatureIsUnauthenticated() throws {
        let body = metaStatuses([metaStatus(status: "sent")])
        #expect(outcome(.meta, Signed.meta(body, secret: "another secret")).error?.isUnauthenticated == true)
        var unsigned = Signed.meta(body)
        unsigned.headers.removeAll { $0.name == "X-Hub-Signature-256" }
        #expect(outcome(.meta, unsigned).error?.isUnauthenticated == true)
        var tampered = Signed.meta(body)
        tampered.body[tampered.body.count - 3] ^= 1
        #expect(outcome(.meta, tampered).error?.isUnauthenticated == true)
        var lowercaseName = Signed.meta(body)
        lowercaseName.headers = lowercaseName.headers.map { ($0.name.lowercased(), $0.value) }
        #expect(outcome(.meta, lowercaseName).value?.count == 1)
    }

    @Test(arguments: ["not json", "[]", #"{"object":"page","entry":[]}"#, #"{"entry":[]}"#, ""])
    func aBodyNotInMetasFormatIsMalformed(body: String) {
        let error = outcome(.meta, Signed.meta(body)).error
        #expect(error?.isMalformed == true, "\(String(describing: error))")
        #expect(error?.httpStatus == 400)
    }

    /// The object a refusal repeats is shown on one line: quoted when plain, else as JSON.
    @Test func anUnknownObjectIsShownOnOneLine() {
        #expect(outcome(.meta, Signed.meta(#"{"object":"page","entry":[]}"#)).error
            == .malformed("meta callback for object 'page': only whatsapp_business_account webhooks are taken"))
        #expect(outcome(.meta, Signed.meta(#"{"object":"pa\nge","entry":[]}"#)).error
            == .malformed(#"meta callback for object "pa\u000age": only whatsapp_business_account webhooks are taken"#))
    }

    @Test func anUnconfiguredProviderIsNotConfigured() {
        let error = outcome(.meta, Signed.meta(metaStatuses([])), settings: CallbackSettings(vonage: .init(signatureSecret: "x"))).error
        #expect(error == .notConfigured(.meta))
        #expect(error?.httpStatus == 404)
        #expect(error?.description.contains("providers file") == true)
    }
}
