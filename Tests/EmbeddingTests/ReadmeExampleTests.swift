import Testing

// The README's embedding example, compiled against the public API only (this target has no
// package access) and run. The code between the markers is compared with the README's code
// block, so the two cannot drift apart.

// README-EXAMPLE-BEGIN
import CampaignLedger
import Logging

func campaignExample(storePath: String) async throws -> String {
    let ledger = try Ledger(.init(path: storePath, logger: Logger(label: "campaigns")))
    let at = "2026-11-20T09:00:00Z"
    try await ledger.append([
        Event(.campaignCreated, campaign: "spring", at: at, channel: .whatsapp, name: "Spring promo"),
        Event(.contactAdded, campaign: "spring", at: at, contact: "c-17", address: "+420 601 234 567"),
        Event(.campaignStarted, campaign: "spring", at: at),
    ])
    // Provider callbacks arrive late, twice, out of order: the ledger sorts it out.
    let wamid = "wamid.HBgM5A1"
    try await ledger.append([Event(.contactStatus, campaign: "spring", at: "2026-11-20T09:00:07Z",
                                   id: "cb-2", contact: "c-17", status: .read, providerRef: wamid)])
    try await ledger.append([Event(.contactStatus, campaign: "spring", at: "2026-11-20T09:00:02Z",
                                   id: "cb-1", contact: "c-17", status: .sent, providerRef: wamid)])
    try await ledger.append([Event(json: #"{"id":"cb-2","type":"contact.status","campaign":"spring","contact":"c-17","status":"read","at":"2026-11-20T09:00:07Z","providerRef":"wamid.HBgM5A1"}"#)])
    let contact = try ledger.contact(campaign: "spring", contact: "c-17")
    let campaign = try ledger.campaign("spring")
    return "\(contact?.state.rawValue ?? "?") \(campaign?.status.status.rawValue ?? "?")"
}
// README-EXAMPLE-END

@Suite(.timeLimit(.minutes(5))) struct ReadmeExampleTests {
    @Test func theReadmeExampleRunsAndGivesTheDocumentedAnswer() async throws {
        let answer = try await withScratchStore { path in try await campaignExample(storePath: path) }
        // read after a late sent stays read; one contact reached and settled → completed.
        #expect(answer == "read completed")
    }

    @Test func theReadmeShowsExactlyThisExample() throws {
        try expectVerbatim(example: "README-EXAMPLE", in: "README.md")
    }
}
