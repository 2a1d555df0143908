import Foundation
import Testing

// docs/callbacks.md's library example, compiled against the public API only (this target has no
// package access) and run with an Infobip report (its token needs no signing). The code between
// the markers is compared with the document's code block, so the two cannot drift apart.

// CALLBACKS-EXAMPLE-BEGIN
import CampaignLedger

/// The webhook handler of your own service, whatever its HTTP framework: the provider's
/// request in, the HTTP status to answer out.
func handleWebhook(
    ledger: Ledger, settings: CallbackSettings, provider: CallbackProvider,
    headers: [(name: String, value: String)], body: [UInt8], url: String
) async throws -> Int {
    let request = CallbackRequest(headers: headers, body: body, url: url)
    let statuses: [ProviderStatus]
    do throws(CallbackError) {
        statuses = try ProviderCallbacks.statuses(provider: provider, request: request, settings: settings)
    } catch {
        return error.httpStatus  // 401 bad signature or token, 400 not the provider's format, 404 not configured
    }
    for outcome in try await ledger.receive(statuses) {  // on disk when this returns
        if case .parked(let id, let reason) = outcome { print("parked \(id): \(reason)") }
    }
    return 200  // providers retry anything else
}
// CALLBACKS-EXAMPLE-END

@Suite(.timeLimit(.minutes(5))) struct CallbacksExampleTests {
    static let settings = CallbackSettings(infobip: .init(token: "s3cret"))
    // An Infobip delivery report as Infobip sends it, with the sender's correlation data.
    static let report = Array(#"""
        {"results":[{"bulkId":"B1","messageId":"ib-1","to":"420601234567","sentAt":"2026-11-20T09:00:00.000+0000","doneAt":"2026-11-20T09:00:04.000+0000","status":{"groupId":3,"groupName":"DELIVERED","id":5,"name":"DELIVERED_TO_HANDSET","description":"Message delivered to handset"},"error":{"groupId":0,"groupName":"OK","id":0,"name":"NO_ERROR","description":"No Error","permanent":false},"callbackData":"spring/c-17"}]}
        """#.utf8)

    @Test func theDocumentedHandlerAppendsAReportAndRefusesAWrongToken() async throws {
        try await withScratchStore { path in
            let ledger = try Ledger(.init(path: path))
            let at = "2026-11-20T09:00:00Z"
            try await ledger.append([
                Event(.campaignCreated, campaign: "spring", at: at, channel: .whatsapp),
                Event(.contactAdded, campaign: "spring", at: at, contact: "c-17", address: "+420 601 234 567"),
                Event(.campaignStarted, campaign: "spring", at: at),
            ])
            let wrong = try await handleWebhook(
                ledger: ledger, settings: Self.settings, provider: .infobip,
                headers: [("Authorization", "Bearer guess")], body: Self.report, url: "/v1/callbacks/infobip")
            #expect(wrong == 401)
            #expect(try ledger.contact(campaign: "spring", contact: "c-17")?.state == .initial)
            let right = try await handleWebhook(
                ledger: ledger, settings: Self.settings, provider: .infobip,
                headers: [("Authorization", "Bearer s3cret")], body: Self.report, url: "/v1/callbacks/infobip")
            #expect(right == 200)
            let contact = try #require(try ledger.contact(campaign: "spring", contact: "c-17"))
            #expect(contact.state == .delivered)
            #expect(contact.providerRef == "ib-1")
            let vonage = try await handleWebhook(
                ledger: ledger, settings: Self.settings, provider: .vonage,
                headers: [], body: Array("{}".utf8), url: "/v1/callbacks/vonage")
            #expect(vonage == 404)
        }
    }

    @Test func docsCallbacksShowsExactlyThisExample() throws {
        try expectVerbatim(example: "CALLBACKS-EXAMPLE", in: "docs/callbacks.md")
    }
}
