import Foundation
import Testing
import CampaignLedger
@testable import CampaignLedgerDemo

/// A history big enough to show every kind of mess, small enough for a debug build.
private let sample = HistoryGenerator(seed: 7, campaigns: 8, contactsPerCampaign: 150).lines()

private func object(_ line: String) -> [String: Any]? {
    guard let data = line.data(using: .utf8),
          let value = try? JSONSerialization.jsonObject(with: data) else { return nil }
    return value as? [String: Any]
}

/// RFC 3339 → nanoseconds, through Foundation's calendar (independent of the generator's own
/// arithmetic); nil when the text is not a valid RFC 3339 time with a zone.
private func instant(_ text: String) -> Int64? {
    let pattern = #"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$"#
    guard let regex = try? NSRegularExpression(pattern: pattern),
          let m = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
    func group(_ i: Int) -> String? {
        guard let range = Range(m.range(at: i), in: text) else { return nil }
        return String(text[range])
    }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    var parts = DateComponents()
    parts.year = Int(group(1)!); parts.month = Int(group(2)!); parts.day = Int(group(3)!)
    parts.hour = Int(group(4)!); parts.minute = Int(group(5)!); parts.second = Int(group(6)!)
    guard parts.isValidDate(in: calendar), parts.second! < 60, let date = calendar.date(from: parts) else { return nil }
    var nanos = Int64(date.timeIntervalSince1970.rounded()) * 1_000_000_000
    if let fraction = group(7) {
        let digits = String(fraction.dropFirst().prefix(9))
        nanos += Int64(digits + String(repeating: "0", count: 9 - digits.count))!
    }
    let zone = group(8)!
    if zone != "Z" {
        let sign: Int64 = zone.hasPrefix("-") ? -1 : 1
        let hours = Int64(zone.dropFirst().prefix(2))!, minutes = Int64(zone.suffix(2))!
        nanos -= sign * (hours * 3600 + minutes * 60) * 1_000_000_000
    }
    return nanos
}

private let messagingStates: Set<String> = [
    "queued", "retry_scheduled", "in_progress", "sent", "successfully_submitted", "error", "failed",
    "delivery_failed", "sending_failed", "invalid_contact", "blocked_or_spam", "canceled_by_admin",
    "blacklisted", "delivered", "read", "responded",
]
private let telephoneStates: Set<String> = [
    "retry_scheduled", "awaiting_operator", "operator_assigned", "bcw", "calling", "call_in_progress",
    "acw", "dial_failed", "canceled_by_client", "unreachable", "rejected_by_operator",
    "canceled_by_admin", "blacklisted", "success",
]

private func isDialable(_ address: String) -> Bool {
    let cleaned = address.filter { !" -().".contains($0) }
    let digits = cleaned.hasPrefix("+") ? cleaned.dropFirst() : Substring(cleaned)
    return (6...15).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber }
}

/// An independent check of domain.md §5 over a history, in file order. Returns the problems.
private func lifecycleProblems(_ lines: [String]) -> [String] {
    struct Campaign {
        var family: String
        var phase = "not_started"
        var contacts: [String: Bool] = [:]   // contact → removed
        var highest: [String: Int] = [:]
    }
    var campaigns: [String: Campaign] = [:]
    var firstByID: [String: String] = [:]
    var problems: [String] = []
    for (n, line) in lines.enumerated() {
        guard let o = object(line) else { problems.append("\(n + 1): not a JSON object"); continue }
        if let id = o["id"] as? String {
            if let first = firstByID[id] {
                if first != line { problems.append("\(n + 1): id \(id) reused for different content") }
                continue
            }
            firstByID[id] = line
        }
        let type = o["type"] as! String, cid = o["campaign"] as! String
        if type == "campaign.created" {
            if campaigns[cid] != nil { problems.append("\(n + 1): created twice") }
            campaigns[cid] = Campaign(family: o["channel"] as! String == "telephone" ? "telephone" : "messaging")
            continue
        }
        guard var c = campaigns[cid] else { problems.append("\(n + 1): \(type) before campaign.created"); continue }
        defer { campaigns[cid] = c }
        let contact = o["contact"] as? String ?? ""
        switch type {
        case "campaign.started":
            if c.phase != "not_started" { problems.append("\(n + 1): started while \(c.phase)") }
            c.phase = "sending"
        case "campaign.paused":
            if c.phase != "sending" { problems.append("\(n + 1): paused while \(c.phase)") }
            c.phase = "paused"
        case "campaign.resumed":
            if c.phase != "paused" { problems.append("\(n + 1): resumed while \(c.phase)") }
            c.phase = "sending"
        case "campaign.finished":
            if c.phase != "sending" && c.phase != "paused" { problems.append("\(n + 1): finished while \(c.phase)") }
            c.phase = "ended"
        case "campaign.canceled":
            if c.phase == "ended" { problems.append("\(n + 1): canceled after the end") }
            c.phase = "ended"
        case "contact.added":
            if c.phase == "ended" { problems.append("\(n + 1): added after the end") }
            if c.contacts[contact] != nil { problems.append("\(n + 1): \(contact) added twice") }
            c.contacts[contact] = false
        case "contact.removed":
            if c.phase != "not_started" && c.phase != "paused" { problems.append("\(n + 1): removed while \(c.phase)") }
            if c.contacts[contact] != false { problems.append("\(n + 1): removing unknown or removed \(contact)") }
            c.contacts[contact] = true
        case "contact.status":
            let status = o["status"] as! String
            if c.contacts[contact] == nil { problems.append("\(n + 1): status for unknown \(contact)") }
            let allowed = c.family == "telephone" ? telephoneStates : messagingStates
            if !allowed.contains(status) { problems.append("\(n + 1): \(status) in a \(c.family) campaign") }
            let highest = c.highest[contact] ?? 0
            let resolved = o["attempt"] as? Int ?? (status == "retry_scheduled" ? highest + 1 : max(highest, 1))
            if resolved < 1 || resolved > highest + 1 { problems.append("\(n + 1): attempt \(resolved) after \(highest)") }
            c.highest[contact] = max(highest, resolved)
        default:
            problems.append("\(n + 1): unknown type \(type)")
        }
    }
    return problems
}

@Suite struct DemoHistoryDeterminism {
    @Test func sameSeedSameLines() {
        let a = HistoryGenerator(seed: 42, campaigns: 4, contactsPerCampaign: 60).lines()
        let b = HistoryGenerator(seed: 42, campaigns: 4, contactsPerCampaign: 60).lines()
        #expect(!a.isEmpty)
        #expect(a == b)
    }

    @Test func differentSeedDifferentLines() {
        let a = HistoryGenerator(seed: 1, campaigns: 4, contactsPerCampaign: 60).lines()
        let b = HistoryGenerator(seed: 2, campaigns: 4, contactsPerCampaign: 60).lines()
        #expect(a != b)
    }

    @Test func streamingEqualsLines() {
        let generator = HistoryGenerator(seed: 3, campaigns: 3, contactsPerCampaign: 40, channels: [.sms, .telephone])
        var streamed: [String] = []
        generator.generate { streamed.append($0) }
        #expect(streamed == generator.lines())
    }

    @Test func storyIsTheSameForEverySeed() {
        func story(_ seed: UInt64) -> [String] {
            HistoryGenerator(seed: seed, campaigns: 2, contactsPerCampaign: 30).lines().filter {
                $0.contains("\"campaign\":\"spring-promo\"") && $0.contains("\"contact\":\"c-0001\"")
            }
        }
        #expect(story(1) == story(99))
    }

    @Test func clockWritesRFC3339() {
        let t = DemoClock.micros(year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59) + 125_250
        #expect(DemoClock.format(t, .seconds) == "2024-02-29T23:59:59Z")
        #expect(DemoClock.format(t, .millis) == "2024-02-29T23:59:59.125Z")
        #expect(DemoClock.format(t, .micros) == "2024-02-29T23:59:59.125250Z")
        #expect(DemoClock.format(t, .pragueSeconds) == "2024-03-01T00:59:59+01:00")
        #expect(DemoClock.format(t, .pragueMillis) == "2024-03-01T00:59:59.125+01:00")
        #expect(DemoClock.format(0, .seconds) == "1970-01-01T00:00:00Z")
        for days in stride(from: -800_000, to: 800_000, by: 997) {
            let (y, m, d) = DemoClock.civilFromDays(days)
            #expect(DemoClock.daysFromCivil(year: y, month: m, day: d) == days)
        }
    }
}

@Suite struct DemoHistoryShape {
    @Test func everyLineIsOneObjectWithItsRequiredFields() {
        let known: Set<String> = ["type", "campaign", "at", "id", "contact", "channel", "name", "address", "status",
                                  "attempt", "code", "reason", "providerRef", "actor", "meta"]
        for line in sample {
            guard let o = object(line) else { Issue.record("not an object: \(line)"); continue }
            #expect(Set(o.keys).isSubset(of: known), "\(line)")
            let type = o["type"] as? String ?? ""
            #expect(EventType(rawValue: type) != nil, "\(line)")
            #expect((o["campaign"] as? String)?.isEmpty == false, "\(line)")
            #expect(instant(o["at"] as? String ?? "") != nil, "bad time: \(line)")
            if type.hasPrefix("contact.") { #expect(o["contact"] is String, "\(line)") }
            if type == "campaign.created" { #expect(Channel(rawValue: o["channel"] as? String ?? "") != nil, "\(line)") }
            if type == "contact.added" { #expect(o["address"] is String, "\(line)") }
            if type == "contact.status" { #expect(o["status"] is String, "\(line)") }
            if let attempt = o["attempt"] { #expect((attempt as? Int ?? 0) >= 1, "\(line)") }
            if let meta = o["meta"] { #expect(meta is [String: Any], "\(line)") }
            #expect(!line.contains("\n"))
        }
    }

    @Test func usesEveryChannelAndTheVariedSpellings() {
        let objects = sample.compactMap(object)
        let channels = Set(objects.compactMap { $0["channel"] as? String })
        #expect(channels == ["whatsapp", "sms", "telephone"])
        let times = objects.map { $0["at"] as! String }
        #expect(times.contains { $0.hasSuffix("+01:00") })
        #expect(times.contains { $0.hasSuffix("Z") && !$0.contains(".") })
        #expect(times.contains { $0.range(of: #"\.\d{6}Z$"#, options: .regularExpression) != nil })
        #expect(objects.contains { $0["id"] == nil })
        #expect(objects.contains { $0["type"] as? String == "contact.status" && $0["attempt"] == nil })
        #expect(objects.contains { $0["type"] as? String == "contact.status" && $0["attempt"] != nil })
        #expect(objects.contains { $0["meta"] != nil })
        let refs = objects.compactMap { $0["providerRef"] as? String }
        #expect(refs.contains { $0.hasPrefix("wamid.HBgM") })
        #expect(refs.contains { $0.hasPrefix("SM") })
        let actors = Set(objects.compactMap { $0["actor"] as? String })
        #expect(actors.isSuperset(of: ["provider:whatsapp", "provider:twilio", "dialer"]))
        #expect(actors.contains { $0.hasPrefix("admin:") })
        let codes = Set(objects.compactMap { $0["code"] as? String })
        #expect(codes.isSuperset(of: ["131026"]))
        #expect(!codes.isDisjoint(with: ["30003", "30005", "30006", "30007"]))
    }
}

@Suite struct DemoHistoryLifecycle {
    @Test func everyLineIsValidInFileOrder() {
        #expect(lifecycleProblems(sample) == [])
        for seed in [UInt64(11), 12, 13] {
            let lines = HistoryGenerator(seed: seed, campaigns: 5, contactsPerCampaign: 80).lines()
            #expect(lifecycleProblems(lines) == [], "seed \(seed)")
        }
    }

    @Test func smallAndOddSizesAreValid() {
        for (campaigns, contacts) in [(0, 10), (1, 0), (1, 1), (3, 2), (6, 5)] {
            for channels in [Channel.allCases, [.telephone], [.sms]] {
                let lines = HistoryGenerator(seed: 5, campaigns: campaigns, contactsPerCampaign: contacts, channels: channels).lines()
                #expect(lifecycleProblems(lines) == [], "\(campaigns)×\(contacts) \(channels)")
            }
        }
    }

    @Test func campaignsEndInEveryWay() {
        let types = sample.compactMap(object).map { $0["type"] as! String }
        for type in ["campaign.paused", "campaign.resumed", "campaign.finished", "campaign.canceled", "contact.removed"] {
            #expect(types.contains(type), "\(type)")
        }
        let created = Set(sample.compactMap(object).filter { $0["type"] as? String == "campaign.created" }.map { $0["campaign"] as! String })
        let started = Set(sample.compactMap(object).filter { $0["type"] as? String == "campaign.started" }.map { $0["campaign"] as! String })
        #expect(created.subtracting(started).count == 1, "one campaign is never started")
    }
}

@Suite struct DemoHistoryMessiness {
    @Test func receiptsArriveOutOfOrder() {
        var lastAt: [String: (status: String, at: Int64)] = [:]
        var inverted = 0, readBeforeDelivered = 0, sentAfterDelivered = 0
        var seenStatuses: [String: Set<String>] = [:]
        var seenIDs: Set<String> = []
        for o in sample.compactMap(object) where o["type"] as? String == "contact.status" {
            if let id = o["id"] as? String, !seenIDs.insert(id).inserted { continue }
            let key = "\(o["campaign"]!)/\(o["contact"]!)"
            let status = o["status"] as! String, at = instant(o["at"] as! String)!
            if let previous = lastAt[key], at < previous.at { inverted += 1 }
            lastAt[key] = (status, max(at, lastAt[key]?.at ?? at))
            let seen = seenStatuses[key, default: []]
            if status == "delivered" && seen.contains("read") { readBeforeDelivered += 1 }
            if status == "sent" && seen.contains("delivered") { sentAfterDelivered += 1 }
            seenStatuses[key, default: []].insert(status)
        }
        #expect(inverted > 10)
        #expect(readBeforeDelivered > 0)
        #expect(sentAfterDelivered > 0)
    }

    @Test func someCallbacksAreDeliveredTwiceUnchanged() {
        var byID: [String: String] = [:]
        var repeats = 0
        for line in sample {
            guard let id = object(line)?["id"] as? String else { continue }
            if let first = byID[id] {
                #expect(first == line)
                repeats += 1
            } else {
                byID[id] = line
            }
        }
        #expect(repeats > 5)
    }

    @Test func someReceiptsArriveAfterTheCampaignFinished() {
        var finished: Set<String> = []
        var late = 0
        for o in sample.compactMap(object) {
            let campaign = o["campaign"] as! String
            if o["type"] as? String == "campaign.finished" { finished.insert(campaign) }
            if o["type"] as? String == "contact.status", finished.contains(campaign),
               ["delivered", "read", "responded"].contains(o["status"] as! String) { late += 1 }
        }
        #expect(late > 0)
    }

    @Test func someAddressesCannotBeDialed() {
        let addresses = sample.compactMap(object).compactMap { $0["address"] as? String }
        let invalid = addresses.filter { !isDialable($0) }
        #expect(!invalid.isEmpty)
        #expect(invalid.count * 10 < addresses.count, "most addresses are dialable")
        #expect(addresses.contains { $0.hasPrefix("(") })
        #expect(addresses.contains { $0.hasPrefix("+1.") })
        #expect(addresses.contains { $0.hasPrefix("+420 ") })
    }

    @Test func theStoryContactTellsTheDispute() throws {
        let lines = sample.filter {
            $0.contains("\"campaign\":\"\(HistoryGenerator.storyCampaign)\"")
        }
        let finishedIndex = try #require(lines.firstIndex { $0.contains("\"type\":\"campaign.finished\"") })
        let story = lines.enumerated().filter { $0.element.contains("\"contact\":\"\(HistoryGenerator.storyContact)\"") }
        let objects = story.map { object($0.element)! }
        #expect(objects.map { $0["id"] as! String } == HistoryGenerator.storyEventIDs)
        #expect(objects.dropFirst().map { $0["status"] as! String } == [
            "in_progress", "sent", "delivery_failed", "retry_scheduled", "in_progress", "sent", "delivery_failed", "delivered",
        ])
        #expect(objects[3]["code"] as? String == "131026")
        #expect(story[7].element == story[3].element, "the failure callback is re-delivered unchanged")
        #expect(story.last!.offset > finishedIndex, "the delivery receipt arrives after campaign.finished")
        #expect(objects.last!["attempt"] as? Int == 2)
        #expect(objects.last!["providerRef"] as? String == HistoryGenerator.storyProviderRefs[1])
        #expect(objects.first!["address"] as? String == HistoryGenerator.storyAddress)
    }

    /// With DEMO_OUT=PATH set, writes a history there, to check it with the reference model
    /// (`ledger-oracle project PATH`). DEMO_SEED, DEMO_CAMPAIGNS and DEMO_CONTACTS override the
    /// default 2026, 3 and 50.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["DEMO_OUT"] != nil, "writes a history only when DEMO_OUT=PATH is set"))
    func writesAFileWhenAsked() throws {
        let environment = ProcessInfo.processInfo.environment
        let path = try #require(environment["DEMO_OUT"])
        let generator = HistoryGenerator(
            seed: environment["DEMO_SEED"].flatMap { UInt64($0) } ?? 2026,
            campaigns: environment["DEMO_CAMPAIGNS"].flatMap { Int($0) } ?? 3,
            contactsPerCampaign: environment["DEMO_CONTACTS"].flatMap { Int($0) } ?? 50)
        var text = ""
        generator.generate { line in
            text += line
            text += "\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        // The file holds the history as generated, and every line of it is an event.
        let written = try #require(FileManager.default.contents(atPath: path), "\(path) was not written")
        #expect(Array(written) == Array(text.utf8))
        let lines = text.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines { #expect(try EventLineParser.parse(Array(line.utf8)) != nil, "\(line)") }
    }
}
