import PropertyBased
import Testing
@testable import CampaignLedger

private let messagingReports = ContactState.allCases.filter {
    ChannelFamily.messaging.acceptsReport($0)
}
private let telephoneReports = ContactState.allCases.filter {
    ChannelFamily.telephone.acceptsReport($0)
}

private func reportable(_ family: ChannelFamily) -> [ContactState] {
    family == .messaging ? messagingReports : telephoneReports
}

/// A random history over a few campaigns of every channel: lifecycle events, contacts added
/// (some with invalid addresses), removed, and resolved statuses with random attempts, `at`s,
/// codes and provider refs; some events name unknown campaigns or contacts.
private func randomLog(_ rng: inout DomainRNG, events: Int) -> DomainLog {
    var log = DomainLog()
    let campaigns: [(String, Channel)] = [("w", .whatsapp), ("s", .sms), ("t", .telephone)]
    for (c, ch) in campaigns { log.created(c, ch) }
    let lifecycle: [EventType] = [.campaignStarted, .campaignPaused, .campaignResumed,
                                  .campaignFinished, .campaignCanceled]
    let addresses = ["+420601234567", "601 234 567", "", "12", "abc123456", "(555) 123-4567"]
    let codes: [String?] = [nil, "131026", "131000", "30003", "503"]
    for _ in 0..<events {
        let (c, ch) = campaigns.randomElement(using: &rng)!
        let campaign = Int.random(in: 0..<40, using: &rng) == 0 ? "ghost" : c
        let contact = "k\(Int.random(in: 0..<8, using: &rng))"
        let at = Int.random(in: 0..<600, using: &rng)
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<4: log.lifecycle(lifecycle.randomElement(using: &rng)!, campaign, at: at)
        case 4..<16:
            log.added(contact, campaign, address: addresses.randomElement(using: &rng)!, at: at,
                      ref: Bool.random(using: &rng) ? "ref-\(at)" : nil)
        case 16..<20: log.removed(contact, campaign, at: at)
        default:
            let state = reportable(ch.family).randomElement(using: &rng)!
            log.status(contact, state, attempt: Int.random(in: 1...3, using: &rng), campaign,
                       at: at, code: codes.randomElement(using: &rng)!,
                       ref: Int.random(in: 0..<4, using: &rng) == 0 ? "p\(at)" : nil)
        }
    }
    return log
}

/// The store's way: every event decodes the contact's and the campaign's records, applies,
/// and encodes them again.
private struct StoreSimulation {
    var campaigns: [String: [UInt8]] = [:]
    var contacts: [String: [UInt8]] = [:]

    mutating func apply(_ r: RecordedEvent) throws {
        let e = r.event
        if e.type == .campaignCreated {
            campaigns[e.campaign] = CampaignAggregate(created: e)!.encoded()
            return
        }
        guard let bytes = campaigns[e.campaign] else { return }
        var agg = try CampaignAggregate(decoding: bytes)
        if let k = e.contact, e.type.isContactEvent {
            let key = e.campaign + "\u{0}" + k
            var fold: ContactFold
            if e.type == .contactAdded {
                fold = ContactFold()
            } else if let stored = contacts[key] {
                fold = try ContactFold(decoding: stored)
            } else {
                return
            }
            let old = e.type == .contactAdded
                ? try contacts[key].map { try ContactFold(decoding: $0) }?.contribution(family: agg.family)
                : fold.contribution(family: agg.family)
            fold.apply(e, position: r.position, family: agg.family)
            agg.replace(old, with: fold.contribution(family: agg.family))
            contacts[key] = fold.encoded()
        } else {
            agg.applyLifecycle(e)
        }
        campaigns[e.campaign] = agg.encoded()
    }
}

private func close(_ got: JSONOutput?, _ want: JSONOutput?, tolerance: Double = 0.01) -> Bool {
    switch (got, want) {
    case (.double(let a)?, .double(let b)?):
        return b == 0 ? a == 0 : abs(a - b) / abs(b) <= tolerance
    default: return got == want
    }
}

@Suite("Domain properties")
struct DomainPropertyTests {
    /// (a) The same resolved reports in any order give the same state, attempt and explaining
    /// code (codes depend only on the report's key, as equal keys are explained by arrival order).
    @Test func permutationsGiveTheSameFold() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = DomainRNG(seed: UInt64(seed))
            let family: ChannelFamily = Bool.random(using: &rng) ? .messaging : .telephone
            let n = Int.random(in: 1...8, using: &rng)
            var events: [Event] = []
            for i in 0..<n {
                if Int.random(in: 0..<10, using: &rng) == 0 {
                    events.append(DomainLog.event(.contactRemoved, contact: "k", at: i))
                    continue
                }
                let s = reportable(family).randomElement(using: &rng)!
                let a = Int.random(in: 1...3, using: &rng)
                let key = JoinKey(family.info(s)!, attempt: a)
                events.append(DomainLog.event(
                    .contactStatus, contact: "k", at: Int.random(in: 0..<100, using: &rng),
                    status: s, attempt: a, code: "\(key.tier)-\(key.attempt)-\(key.rank)"))
            }
            func fold(_ evs: [Event]) -> ContactFold {
                var f = ContactFold()
                f.apply(DomainLog.event(.contactAdded, contact: "k", address: "+420601234567"),
                        position: 1, family: family)
                for (i, e) in evs.enumerated() { f.apply(e, position: UInt64(i + 2), family: family) }
                return f
            }
            let reference = fold(events)
            for _ in 0..<6 {
                let f = fold(events.shuffled(using: &rng))
                #expect(f.state == reference.state)
                #expect(f.attempt == reference.attempt)
                #expect(f.key == reference.key)
                #expect(f.shownCode == reference.shownCode)
                #expect(f.dispatchAttempt == reference.dispatchAttempt)
                #expect(f.everMask == reference.everMask)
                #expect(f.firstSentNanos == reference.firstSentNanos)
                #expect(f.firstReachedNanos == reference.firstReachedNanos)
                #expect(f.firstReadNanos == reference.firstReadNanos)
                #expect(f.contribution(family: family) == reference.contribution(family: family))
            }
        }
    }

    /// (b) After random event sequences, the incremental aggregates equal a brute-force recount
    /// from the contacts' folds (counters, status, exact timings, the answer within 1 % on p50 and
    /// p95), and the store's decode-apply-encode path gives the same records.
    @Test func incrementalEqualsRecount() async {
        await propertyCheck(count: 150, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = DomainRNG(seed: UInt64(seed))
            let log = randomLog(&rng, events: Int.random(in: 1...250, using: &rng))
            var projector = Projector()
            var store = StoreSimulation()
            for (i, r) in log.events.enumerated() {
                projector.apply(r)
                #expect(throws: Never.self) { try store.apply(r) }
                guard i % 25 == 0 || i == log.events.count - 1 else { continue }
                for entry in projector.campaigns {
                    let folds = Array(entry.contacts.map(\.fold))
                    let family = entry.aggregate.family
                    #expect(entry.aggregate.metrics == Recount.metrics(family: family,
                                                                        contacts: folds))
                    let recounted = Recount.status(entry.aggregate, contacts: folds)
                    #expect(entry.aggregate.status.status == recounted.status)
                    #expect(entry.aggregate.status.endedBy == recounted.endedBy)
                    let (deliver, read) = Recount.timings(contacts: folds)
                    #expect(entry.deliverTimes == deliver)
                    #expect(entry.readTimes == read)
                    let got = projector.metrics(entry.id)!
                    let want = Recount.metricsJSON(family: family, contacts: folds)
                    #expect(got.keys == want.keys)
                    for key in want.keys {
                        if key == "timeToDeliver" || key == "timeToRead" {
                            for part in ["count", "p50", "p95", "max"] {
                                #expect(close(got[key]?[part], want[key]?[part]), "\(key).\(part)")
                            }
                            #expect(got[key]?["count"] == want[key]?["count"])
                            #expect(got[key]?["max"] == want[key]?["max"])
                        } else {
                            #expect(got[key] == want[key], "\(key)")
                        }
                    }
                }
            }
            for entry in projector.campaigns {
                let stored = store.campaigns[entry.id].flatMap { try? CampaignAggregate(decoding: $0) }
                #expect(stored == entry.aggregate)
                for (k, fold) in entry.contacts {
                    let bytes = store.contacts[entry.id + "\u{0}" + k]
                    #expect(bytes.flatMap { try? ContactFold(decoding: $0) } == fold)
                }
            }
        }
    }

    /// (c) Histogram percentiles stay within 1 % of the exact nearest-rank ones, also after
    /// removals and merges; counts are exact.
    @Test func histogramPercentilesWithinOnePercent() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = DomainRNG(seed: UInt64(seed))
            var h = TimingHistogram()
            var exact = ExactTimings()
            var values: [Int64] = []
            let n = Int.random(in: 1...400, using: &rng)
            for _ in 0..<n {
                let v: Int64
                switch Int.random(in: 0..<10, using: &rng) {
                case 0: v = 0
                case 1: v = values.randomElement(using: &rng) ?? 1
                case 2: v = Int64.random(in: 0..<300, using: &rng)
                default:
                    let magnitude = Int64(1) << Int64.random(in: 7...52, using: &rng)
                    v = Int64.random(in: magnitude..<(2 * magnitude), using: &rng)
                }
                h.add(v)
                exact.add(v)
                values.append(v)
            }
            for _ in 0..<Int.random(in: 0..<n, using: &rng) {
                let i = Int.random(in: 0..<values.count, using: &rng)
                let v = values.remove(at: i)
                let removedH = h.remove(v)
                let removedE = exact.remove(v)
                #expect(removedH && removedE)
            }
            #expect(h.count == values.count && exact.count == values.count)
            let sorted = values.sorted()
            #expect(exact.sortedValues == sorted)
            for p in [1, 50, 95, 99, 100] {
                let want = sorted.isEmpty ? nil : sorted[(p * sorted.count + 99) / 100 - 1]
                #expect(exact.percentile(p) == want)
                guard let want, let got = h.percentile(p) else {
                    #expect(h.percentile(p) == nil)
                    continue
                }
                #expect(abs(Double(got - want)) <= 0.01 * Double(want), "p\(p): \(got) vs \(want)")
            }
            #expect(exact.max == sorted.last)
            // Merging two halves equals one histogram of everything.
            var a = TimingHistogram()
            var b = TimingHistogram()
            for (i, v) in values.enumerated() {
                if i % 3 == 0 { a.add(v) } else { b.add(v) }
            }
            a.merge(b)
            #expect(a == h)
            var fresh = TimingHistogram()
            for v in values { fresh.add(v) }
            #expect(fresh == h)
        }
    }

    /// (d) Encodings round-trip; truncated, extended and random bytes throw (or decode) but
    /// never crash.
    @Test func encodingsRoundTripAndRejectGarbage() async {
        await propertyCheck(count: 100, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = DomainRNG(seed: UInt64(seed))
            let p = randomLog(&rng, events: Int.random(in: 1...120, using: &rng)).projector
            var records: [[UInt8]] = []
            for entry in p.campaigns {
                let bytes = entry.aggregate.encoded()
                #expect((try? CampaignAggregate(decoding: bytes)) == entry.aggregate)
                records.append(bytes)
                let h = entry.aggregate.metrics.timeToDeliver
                #expect((try? TimingHistogram(decoding: h.encoded())) == h)
                for (_, fold) in entry.contacts {
                    let fb = fold.encoded()
                    #expect((try? ContactFold(decoding: fb)) == fold)
                    records.append(fb)
                }
            }
            for bytes in records {
                for cut in [0, 1, bytes.count / 2, bytes.count - 1] where cut < bytes.count {
                    let prefix = Array(bytes[..<cut])
                    #expect(throws: DomainDecodingError.self) { try ContactFold(decoding: prefix) }
                    #expect(throws: DomainDecodingError.self) {
                        try CampaignAggregate(decoding: prefix)
                    }
                }
                #expect(throws: DomainDecodingError.self) { try ContactFold(decoding: bytes + [0]) }
                var mutated = bytes
                for _ in 0..<3 {
                    let i = Int.random(in: 0..<mutated.count, using: &rng)
                    mutated[i] ^= UInt8.random(in: 1...255, using: &rng)
                }
                _ = try? ContactFold(decoding: mutated)
                _ = try? CampaignAggregate(decoding: mutated)
                _ = try? TimingHistogram(decoding: mutated)
            }
            for _ in 0..<20 {
                let junk = (0..<Int.random(in: 0..<64, using: &rng)).map { _ in
                    UInt8.random(in: 0...255, using: &rng)
                }
                for bytes in [junk, [1] + junk] {
                    _ = try? ContactFold(decoding: bytes)
                    _ = try? CampaignAggregate(decoding: bytes)
                    _ = try? TimingHistogram(decoding: bytes)
                }
            }
            #expect(throws: DomainDecodingError.unsupportedVersion(9)) {
                try ContactFold(decoding: [9])
            }
        }
    }
}

@Suite("Domain coding and histogram")
struct DomainCodingTests {
    @Test func histogramBasics() {
        var h = TimingHistogram()
        #expect(h.percentile(50) == nil && h.approximateMax == nil)
        h.add(0)
        h.add(0)
        h.add(2_000_000_000)
        #expect(h.percentile(50) == 0)
        #expect(h.percentile(95) == 2_000_000_000)   // one value in its bucket: exact
        let absent = h.remove(5_000)
        let negative = h.remove(-1)
        #expect(!absent && !negative)
        h.add(-4)
        #expect(h.count == 3)
        let zeros = h.remove(0) && h.remove(0)
        #expect(zeros)
        #expect(h.percentile(1) == 2_000_000_000)
        for v in [Int64(127), 128, 255, 256, Int64.max] {
            let i = TimingHistogram.bucket(of: v)
            let (low, width) = TimingHistogram.bounds(of: i)
            #expect(low <= v && v - low < width)
            #expect(Double(width) <= Double(low) / 128 || width == 1)
        }
        #expect(TimingHistogram.maxIndex < Int(UInt16.max))
    }

    @Test func exactTimingsMaxUnderRemoval() {
        var t = ExactTimings()
        for v: Int64 in [5, 9, 9, 1] { t.add(v) }
        #expect(t.max == 9)
        t.remove(9)
        #expect(t.max == 9)
        t.remove(9)
        #expect(t.max == 5)
        let missing = t.remove(42)
        #expect(!missing)
        #expect(t.percentile(50) == 1 && t.percentile(100) == 5)
    }

    @Test func emptyRecordsRoundTrip() throws {
        let fold = ContactFold()
        #expect(try ContactFold(decoding: fold.encoded()) == fold)
        let agg = CampaignAggregate(channel: .telephone)
        #expect(try CampaignAggregate(decoding: agg.encoded()) == agg)
        #expect(throws: DomainDecodingError.self) { try CampaignAggregate(decoding: []) }
        #expect(throws: DomainDecodingError.self) { try TimingHistogram(decoding: [1, 1]) }
    }
}
