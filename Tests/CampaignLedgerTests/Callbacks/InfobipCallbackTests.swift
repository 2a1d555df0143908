import CampaignLedger
import Foundation
import Testing

/// One Infobip delivery report item, as Infobip posts it in `results[]`.
func infobipReport(messageId: String = "b3d1f6a2-5c7e-4a90-9d1b-2e8f7c6a5b40", group: (Int, String), status: (Int, String),
                   error: (Int, String)? = nil, callbackData: String? = "c1/k1/1") -> String {
    let failure = error.map { #"{"groupId":2,"groupName":"USER_ERRORS","id":\#($0.0),"name":"\#($0.1)","description":"Recipient cannot receive","permanent":true}"# }
        ?? #"{"groupId":0,"groupName":"OK","id":0,"name":"NO_ERROR","description":"No Error","permanent":false}"#
    var s = #"{"bulkId":"cmp-7f3a-batch-01","messageId":"\#(messageId)","to":"420601234567","sentAt":"2026-01-05T09:30:00.112+0000","doneAt":"2026-01-05T09:30:02.845+0000","messageCount":1,"price":{"pricePerMessage":0.0412,"currency":"EUR"},"status":{"groupId":\#(group.0),"groupName":"\#(group.1)","id":\#(status.0),"name":"\#(status.1)","description":"…"},"error":\#(failure)"#
    if let callbackData { s += #","callbackData":"\#(callbackData)""# }
    return s + "}"
}

func infobipSeen(messageId: String = "b3d1f6a2-5c7e-4a90-9d1b-2e8f7c6a5b40") -> String {
    #"{"messageId":"\#(messageId)","from":"420800123456","to":"420601234567","sentAt":"2026-01-05T09:30:00.112+0000","seenAt":"2026-01-05T09:31:01.007+0000","applicationId":"campaigns","entityId":"tenant-42"}"#
}

func infobipResults(_ items: [String]) -> String { #"{"results":[\#(items.joined(separator: ","))]}"# }

@Suite struct InfobipCallbackTests {
    @Test(arguments: [
        (1, "PENDING", 7, "PENDING_ENROUTE", "sent"), (3, "DELIVERED", 5, "DELIVERED_TO_HANDSET", "delivered"),
        (3, "DELIVERED", 2, "DELIVERED_TO_OPERATOR", "delivered"), (5, "REJECTED", 10, "REJECTED_DND", "sending_failed"),
        (2, "UNDELIVERABLE", 9, "UNDELIVERABLE_NOT_DELIVERED", "delivery_failed"), (4, "EXPIRED", 15, "EXPIRED_EXPIRED", "delivery_failed"),
    ])
    func everyStatusGroupOfTheTable(groupID: Int, group: String, statusID: Int, name: String, expected: String) throws {
        let body = infobipResults([infobipReport(group: (groupID, group), status: (statusID, name))])
        let s = try #require(outcome(.infobip, Signed.infobip(body)).value?.first)
        #expect(s.status?.rawValue == expected)
        #expect(s.providerStatus == name)
        #expect(s.messageID == "b3d1f6a2-5c7e-4a90-9d1b-2e8f7c6a5b40")
        #expect(s.correlation == Correlation(campaign: "c1", contact: "k1", attempt: 1))
        #expect(s.at == "2026-01-05T09:30:02.845Z")
        #expect(s.code == nil && s.reason == nil)
        #expect(s.eventID == expectedEventID("infobip", ["b3d1f6a2-5c7e-4a90-9d1b-2e8f7c6a5b40", String(statusID)]))
    }

    @Test func aSeenReportIsRead() throws {
        let s = try #require(outcome(.infobip, Signed.infobip(infobipResults([infobipSeen()]))).value?.first)
        #expect(s.status == .read)
        #expect(s.providerStatus == "SEEN")
        #expect(s.at == "2026-01-05T09:31:01.007Z")
        #expect(s.correlation == nil)
        #expect(s.eventID == expectedEventID("infobip", ["b3d1f6a2-5c7e-4a90-9d1b-2e8f7c6a5b40", "SEEN"]))
    }

    @Test func aBatchWithAFailureAndAnUnknownGroupKeepsEachItem() throws {
        let body = infobipResults([
            infobipReport(messageId: "m1", group: (2, "UNDELIVERABLE"), status: (9, "UNDELIVERABLE_NOT_DELIVERED"), error: (7000, "RECIPIENT_NOT_ON_CHANNEL")),
            infobipReport(messageId: "m2", group: (9, "SOMETHING_NEW"), status: (99, "SOMETHING_NEW_X")),
            infobipSeen(messageId: "m3"),
        ])
        let statuses = try #require(outcome(.infobip, Signed.infobip(body)).value)
        #expect(statuses.map(\.messageID) == ["m1", "m2", "m3"])
        #expect(statuses[0].status == .deliveryFailed)
        #expect(statuses[0].code == "7000")
        #expect(statuses[0].reason == "RECIPIENT_NOT_ON_CHANNEL")
        #expect(statuses[1].status == nil)
        #expect(statuses[1].problem?.contains("unknown infobip status group 'SOMETHING_NEW'") == true)
        #expect(statuses[2].status == .read)
    }

    @Test func basicAuthWithTheTokenAsPasswordIsAccepted() {
        let body = infobipResults([infobipSeen()])
        let basic = "Basic " + Data("any-user:\(Secrets.infobip)".utf8).base64EncodedString()
        #expect(outcome(.infobip, Signed.infobip(body, authorization: basic)).value?.count == 1)
        let wrongBasic = "Basic " + Data("any-user:nope".utf8).base64EncodedString()
        #expect(outcome(.infobip, Signed.infobip(body, authorization: wrongBasic)).error?.isUnauthenticated == true)
        #expect(outcome(.infobip, Signed.infobip(body, authorization: "bearer \(Secrets.infobip)")).value?.count == 1)
    }

    @Test func aWrongOrMissingTokenIsUnauthenticated() {
        let body = infobipResults([infobipSeen()])
        #expect(outcome(.infobip, Signed.infobip(body, authorization: "Bearer \(Secrets.infobip)x")).error?.isUnauthenticated == true)
        #expect(outcome(.infobip, Signed.infobip(body, authorization: "Token \(Secrets.infobip)")).error?.isUnauthenticated == true)
        let none = CallbackRequest(body: Array(body.utf8), url: "/v1/callbacks/infobip")
        #expect(outcome(.infobip, none).error?.isUnauthenticated == true)
    }

    @Test(arguments: ["{}", #"{"results":{}}"#, "[1]", "<xml/>"])
    func aBodyNotInInfobipsFormatIsMalformed(body: String) {
        #expect(outcome(.infobip, Signed.infobip(body)).error?.isMalformed == true)
    }
}
