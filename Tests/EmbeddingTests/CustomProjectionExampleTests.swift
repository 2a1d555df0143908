import Testing

// docs/custom-projections.md's example, compiled against the public API only (this target has
// no package access) and run. The code between the markers is compared with the document's code
// block, so the two cannot drift apart.

// CUSTOM-PROJECTION-EXAMPLE-BEGIN
import CampaignLedger

struct OptOuts: LedgerProjection {
    var version = 1
    var name: String { "opt-outs" }
    var rulesID: String { "opt-outs/v\(version)" }

    func apply(_ event: RecordedEvent, to state: inout ProjectionState) throws {
        guard event.event.type == .contactStatus, let status = event.event.status else { return }
        if status == .blacklisted || (version >= 2 && status == .canceledByAdmin) {
            try state.add(1, to: event.event.campaign)   // a big-endian Int64 counter per campaign
        }
    }
}

func optedOut(storePath: String, events: [Event]) async throws -> Int64? {
    let ledger = try Ledger(.init(path: storePath, projections: [OptOuts(version: 2)]))
    try await ledger.append(events)
    for build in try ledger.builds() where build.projection == "opt-outs" {
        print(build.number, build.state, build.rulesID, build.checkpoint)
    }
    try ledger.rebuild(projection: "opt-outs", verify: true)   // replay it, compare, switch
    return try ledger.projectionCounter("opt-outs", key: "spring")   // the counter add(1, to:) keeps
}
// CUSTOM-PROJECTION-EXAMPLE-END

@Suite(.timeLimit(.minutes(5))) struct CustomProjectionExampleTests {
    @Test func theExampleCountsWhatVersionTwoCounts() async throws {
        let at = "2026-11-20T09:00:00Z"
        let events = [
            try Event(.campaignCreated, campaign: "spring", at: at, channel: .whatsapp),
            try Event(.contactAdded, campaign: "spring", at: at, contact: "c1", address: "+420 601 234 567"),
            try Event(.contactAdded, campaign: "spring", at: at, contact: "c2", address: "+420 601 234 568"),
            try Event(.contactAdded, campaign: "spring", at: at, contact: "c3", address: "+420 601 234 569"),
            try Event(.campaignStarted, campaign: "spring", at: at),
            try Event(.contactStatus, campaign: "spring", at: at, contact: "c1", status: .blacklisted),
            try Event(.contactStatus, campaign: "spring", at: at, contact: "c2", status: .canceledByAdmin),
            try Event(.contactStatus, campaign: "spring", at: at, contact: "c3", status: .delivered),
        ]
        let count = try await withScratchStore { path in try await optedOut(storePath: path, events: events) }
        // Version 2 counts the blacklisted contact and the one an admin canceled, not c3.
        #expect(count == 2)
    }

    @Test func theDocumentShowsExactlyThisExample() throws {
        try expectVerbatim(example: "CUSTOM-PROJECTION-EXAMPLE", in: "docs/custom-projections.md")
    }
}
