import Foundation
import LMDB
import Testing
import CampaignLedger

/// Counts opted-out contacts per campaign. Version 1 counts `blacklisted` reports; version 2
/// (changed rules) also counts `canceled_by_admin`.
struct OptOuts: LedgerProjection {
    var version = 1
    var name: String { "opt-outs" }
    var rulesID: String { "opt-outs/v\(version)" }

    func apply(_ event: RecordedEvent, to state: inout ProjectionState) throws {
        guard event.event.type == .contactStatus, let status = event.event.status else { return }
        if status == .blacklisted || (version >= 2 && status == .canceledByAdmin) {
            try state.add(1, to: event.event.campaign)
        }
    }
}

@Suite struct CustomProjectionTests {
    let lines = campaignStart + [
        #"{"type":"contact.status","campaign":"spring","contact":"c1","status":"blacklisted","at":"2026-11-20T08:02:00Z"}"#,
        #"{"type":"contact.status","campaign":"spring","contact":"c2","status":"canceled_by_admin","at":"2026-11-20T08:03:00Z"}"#,
    ]

    func count(_ ledger: Ledger) throws -> Int64? {
        try ledger.projectionValue("opt-outs", key: "spring").flatMap { Int64(bigEndianBytes: $0) }
    }

    @Test func aCustomProjectionIsMaintainedRebuiltAndReplacedByNewRules() throws {
        let path = newStorePath()
        do {
            // Registered on a store that already has events: folded from position 1 on open.
            let plain = try Ledger(.init(path: path))
            try plain.importLines(jsonl(Array(lines.prefix(5))))
        }
        do {
            let v1 = try Ledger(.init(path: path, projections: [OptOuts(version: 1)]))
            #expect(try count(v1) == 1)
            // Maintained inline, in the append's transaction.
            try v1.importLines(jsonl(lines))
            #expect(try count(v1) == 1)
            try v1.appendAndWait([event(#"{"type":"contact.status","campaign":"spring","contact":"c2","status":"blacklisted","at":"2026-11-20T08:04:00Z"}"#)])
            #expect(try count(v1) == 2)
            // Rebuilt like the built-in projections, with the same fingerprint; an interrupted
            // rebuild resumes from its checkpoint (chunks of 2 events: 4 applied when stopped).
            var calls = 0
            #expect(throws: InterruptBox.self) {
                try v1.rebuild(projection: "opt-outs", chunk: 2) { _ in
                    calls += 1
                    if calls == 2 { throw InterruptBox.interrupt }
                }
            }
            let stopped = try v1.builds().filter { $0.projection == "opt-outs" }
            #expect(stopped.map(\.state) == [.active, .building])
            #expect(stopped.last?.checkpoint == 4)
            let summary = try v1.rebuild(projection: "opt-outs", verify: true)
            #expect(summary.resumed)
            #expect(summary.fingerprintMatches == true)
            #expect(try count(v1) == 2)
            let builds = try v1.builds().filter { $0.projection == "opt-outs" }
            #expect(builds.map(\.state) == [.ready, .active])
        }
        // New rules: a new build is folded from position 1 and answers.
        let v2 = try Ledger(.init(path: path, projections: [OptOuts(version: 2)]))
        #expect(try count(v2) == 3)
        let builds = try v2.builds().filter { $0.projection == "opt-outs" }
        #expect(builds.map(\.state) == [.stale, .stale, .active])
        #expect(builds.last?.rulesID == "opt-outs/v2")
        // Rolling back to a v1 build is possible for a process with v1 rules.
        let v1Again = try Ledger(.init(path: path, projections: [OptOuts(version: 1)]))
        try v1Again.activate(build: builds[1].number)
        #expect(try count(v1Again) == 2)
        #expect(try v1Again.verify().isOK)
    }
}
