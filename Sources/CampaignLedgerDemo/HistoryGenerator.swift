public import CampaignLedger

/// A deterministic, realistic campaign history as JSON Lines (interchange.md §1), for `ledger
/// demo`, benchmarks and tests.
///
/// Campaigns of the given channels (WhatsApp, SMS, telephone) go through their lifecycles —
/// created, loaded with contacts, started, sometimes paused and resumed with contacts removed
/// meanwhile, then finished; some are canceled and, with three or more campaigns, the last is
/// never started. Contacts are reached, fail with real provider codes, are retried, or have
/// addresses no one can dial. Provider callbacks arrive the way webhooks do: late, out of order,
/// twice, some after the campaign finished. Lines are in arrival order, and every line is valid
/// against the lines before it (domain.md §5), so a whole history imports cleanly.
///
/// The same seed and sizes give the same lines on every run and platform. With `.whatsapp` among
/// the channels, campaign 0 is ``storyCampaign``, whose contact ``storyContact`` has a fixed,
/// seed-independent dispute timeline (docs/demo.md, "The demo history").
public struct HistoryGenerator: Sendable {
    /// The campaign of the demo's dispute story (WhatsApp).
    public static let storyCampaign = "spring-promo"
    /// The story's contact: attempt 1 sent then failed (131026), retried, attempt 2 sent, its
    /// delivery receipt arriving after `campaign.finished`, the failure callback delivered twice.
    public static let storyContact = "c-0001"
    /// The story contact's address as uploaded.
    public static let storyAddress = "+420 601 234 567"
    /// The provider message ids (wamid) of the story contact's attempts 1 and 2.
    public static let storyProviderRefs = [
        "wamid.HBgMNDIwNjAxMjM0NTY3FQIAERgSQkY0QzdGMjE5RTNBMDk1RjFDAA==",
        "wamid.HBgMNDIwNjAxMjM0NTY3FQIAERgSNzE5QTBFQ0M0QjI4NkQ3RTNBAA==",
    ]
    /// Event ids of the story contact's lines, in arrival order: added, in_progress, sent and
    /// delivery_failed of attempt 1, retry_scheduled, in_progress and sent of attempt 2, the
    /// re-delivered delivery_failed (same id), then the late delivered.
    public static let storyEventIDs = [
        "adm_41b8e07c5d3a9f12", "snd_5a0c1f3e9b7d2264", "wh_e4b19d0a7c3f5812", "wh_0d93c6a1f25e7b48",
        "snd_73e2a9b05c1d4f86", "snd_b8f14d6e2a09c357", "wh_29c7e05f8d1a6b34", "wh_0d93c6a1f25e7b48",
        "wh_f61a8b3d0e4c9725",
    ]

    /// 2026-03-02T08:15:00Z: the story campaign is created; campaign i follows about 5 h × i later.
    static let storyCreated = DemoClock.micros(year: 2026, month: 3, day: 2, hour: 8, minute: 15)
    /// 2026-03-03T09:00:00Z: the story campaign starts.
    static let storyStart = DemoClock.micros(year: 2026, month: 3, day: 3, hour: 9)

    public let seed: UInt64
    public let campaigns: Int
    public let contactsPerCampaign: Int
    public let channels: [Channel]

    /// - Parameters:
    ///   - seed: the same seed gives the same history.
    ///   - campaigns: how many campaigns (≥ 0); channels take turns in the order given.
    ///   - contactsPerCampaign: contacts uploaded to each campaign (≥ 0); about 6 events per
    ///     messaging contact and 8 per telephone contact result.
    ///   - channels: the channels to use, at least one.
    public init(seed: UInt64, campaigns: Int, contactsPerCampaign: Int, channels: [Channel] = Channel.allCases) {
        precondition(campaigns >= 0 && contactsPerCampaign >= 0, "sizes must not be negative")
        precondition(!channels.isEmpty, "at least one channel")
        self.seed = seed
        self.campaigns = campaigns
        self.contactsPerCampaign = contactsPerCampaign
        self.channels = channels
    }

    /// Whether the history contains the dispute story (``storyCampaign``, ``storyContact``):
    /// WhatsApp is among the channels and there is at least one campaign with one contact.
    public var includesStory: Bool {
        channels.contains(.whatsapp) && campaigns > 0 && contactsPerCampaign > 0
    }

    /// The campaign ids, in the order they are created.
    public var campaignIDs: [String] {
        (0..<campaigns).map { plan($0).id }
    }

    /// Writes the history line by line (no trailing newline), in arrival order. Memory stays
    /// bounded by one campaign's events, so a million-event history streams.
    public func generate(_ emit: (String) -> Void) {
        for index in 0..<campaigns {
            var simulation = CampaignSimulation(plan: plan(index), seed: seed)
            simulation.run()
            write(simulation, seed: DemoRandom.mix(seed ^ 0xA77E_3B70 ^ UInt64(index)), to: emit)
        }
    }

    /// The whole history as an array of lines; for small histories (use `generate` for large).
    public func lines() -> [String] {
        var out: [String] = []
        generate { out.append($0) }
        return out
    }

    private func plan(_ index: Int) -> CampaignPlan {
        CampaignPlan(index: index, of: campaigns, contacts: contactsPerCampaign, channels: channels, story: includesStory)
    }

    /// Writes one campaign's events in arrival order. `attempt` is written whenever the ledger's
    /// rule for an absent attempt (domain.md §3, applied in this order) would give another
    /// number than the true one, and on about half of the other status lines, so every
    /// resolved attempt is the true attempt.
    private func write(_ simulation: CampaignSimulation, seed: UInt64, to emit: (String) -> Void) {
        let events = simulation.events
        let plan = simulation.plan
        // Arrival order; among equal arrivals, creation order.
        var keys = events.indices.map { (arrival: events[$0].arrival, index: Int32($0)) }
        keys.sort { ($0.arrival, $0.index) < ($1.arrival, $1.index) }
        var r = DemoRandom(seed: seed)
        var highest = [Int32](repeating: 0, count: plan.contacts)
        var written: [Int32: String] = [:]
        let meta = metadata(plan, &r)
        for (_, index) in keys {
            let e = events[Int(index)]
            if e.repeats >= 0 {
                emit(written[e.repeats]!)
                continue
            }
            var writeAttempt = false
            if e.type == .contactStatus {
                let c = Int(e.contact)
                let resolved = e.status == .retryScheduled ? highest[c] + 1 : max(highest[c], 1)
                writeAttempt = e.alwaysWriteAttempt || resolved != e.attempt || r.chance(0.5)
                highest[c] = max(highest[c], e.attempt)
            }
            let line = render(e, plan: plan, meta: meta, writeAttempt: writeAttempt)
            if e.isRepeated { written[index] = line }
            emit(line)
        }
    }

    /// The `meta` object of a campaign.created line, on some campaigns.
    private func metadata(_ plan: CampaignPlan, _ r: inout DemoRandom) -> String? {
        if plan.isStory {
            return JSONOutput.object([
                ("template", .string("spring_promo_v2")), ("language", .string("cs")),
                ("segment", .string("loyal-customers")), ("budget", .object([("currency", .string("CZK")), ("limit", .int(25_000))])),
            ]).serialized()
        }
        guard r.chance(0.6) else { return nil }
        if plan.channel == .telephone {
            return JSONOutput.object([
                ("maxAttempts", .int(3)), ("queue", .string(r.pick(["sales", "retention", "collections"]))),
                ("callerId", .string("+420 2" + r.digits(8))),
            ]).serialized()
        }
        return JSONOutput.object([
            ("template", .string(r.pick(DemoCatalog.templates))), ("language", .string(r.pick(DemoCatalog.languages))),
            ("segment", .string(r.pick(DemoCatalog.segments))),
        ]).serialized()
    }

    /// One line: the fields of interchange.md §1 in its table's order, strings written by
    /// `JSONOutput.writeString`. The object is framed here rather than built as a
    /// `JSONOutput.object`, whose boxed members cost more than the rest of the line.
    private func render(_ e: GeneratedEvent, plan: CampaignPlan, meta: String?, writeAttempt: Bool) -> String {
        var line = JSONLine()
        line.add("type", e.type.rawValue)
        line.add("campaign", plan.id)
        line.add("at", DemoClock.format(e.at, e.style))
        if let id = e.id { line.add("id", id) }
        if e.contact >= 0 { line.add("contact", Self.contactID(Int(e.contact))) }
        if e.type == .campaignCreated {
            line.add("channel", plan.channel.rawValue)
            line.add("name", plan.name)
        }
        if let address = e.address { line.add("address", address) }
        if let status = e.status { line.add("status", status.rawValue) }
        if writeAttempt { line.add("attempt", raw: String(e.attempt)) }
        if let code = e.code { line.add("code", code) }
        if let reason = e.reason { line.add("reason", reason) }
        if let ref = e.providerRef { line.add("providerRef", ref) }
        if let actor = e.actor { line.add("actor", actor) }
        if e.type == .campaignCreated, let meta { line.add("meta", raw: meta) }
        return line.finish()
    }

    /// The id of contact `index` (0-based): `c-0001`, `c-0002`, …, `c-10000`.
    static func contactID(_ index: Int) -> String {
        let number = String(index + 1)
        return "c-" + String(repeating: "0", count: max(0, 4 - number.count)) + number
    }
}

/// A compact JSON object written member by member.
private struct JSONLine {
    private var text = ""

    init() { text.reserveCapacity(384) }

    mutating func add(_ key: String, _ value: String) {
        open(key)
        JSONOutput.writeString(value, to: &text)
    }

    /// A member whose value is already JSON text (a number, the `meta` object).
    mutating func add(_ key: String, raw value: String) {
        open(key)
        text += value
    }

    private mutating func open(_ key: String) {
        text += text.isEmpty ? "{" : ","
        JSONOutput.writeString(key, to: &text)
        text += ":"
    }

    consuming func finish() -> String {
        text += "}"
        return text
    }
}
