/// The metric counters of one campaign (domain.md §6), or of every campaign of one channel (a
/// channel total): contacts per state and per class, the "ever" counts, attempts and retries,
/// failure codes. The timings (time to deliver, time to read) are in the JSON answers
/// (`Ledger.metricsJSON`, `Ledger.campaignJSON`).
///
/// Inside the library the counters are updated in O(1) per contact change: `remove` a contact's
/// old contribution, `add` its new one. Counts that §6 takes from current states (state and class
/// counts, delivered, read, responded, success, failures) are derived from the per-state counts.
public struct CampaignMetrics: Sendable, Hashable {
    public let family: ChannelFamily
    /// Contacts (removed and invalid ones included).
    public private(set) var contacts = 0
    /// Contacts per current state, indexed by `ContactState.code`.
    private var stateCounts = [Int](repeating: 0, count: ContactState.slotCount)
    /// Contacts per class of their current state.
    public private(set) var reached = 0
    public private(set) var failed = 0
    public private(set) var excluded = 0
    public private(set) var invalid = 0
    public private(set) var pending = 0
    /// "Ever" counts (§6): messaging `sent`; telephone `dialed`, `connected`, `abandoned`.
    public private(set) var everSent = 0
    public private(set) var everDialed = 0
    public private(set) var everConnected = 0
    public private(set) var everAbandoned = 0
    /// Sum of the contacts' highest dispatch attempts, and of max(0, that − 1).
    public private(set) var attempts = 0
    public private(set) var retries = 0
    /// Failed contacts per code of their explaining report (non-zero entries only).
    public private(set) var errorCodes: [String: Int] = [:]
    /// Messaging timings in ns (approximate percentiles; exact count).
    package private(set) var timeToDeliver = TimingHistogram()
    package private(set) var timeToRead = TimingHistogram()

    package init(family: ChannelFamily) { self.family = family }

    /// Counters given directly (for the tests' recount from scratch); class counts follow from
    /// the state counts.
    package init(
        family: ChannelFamily, stateCounts: [ContactState: Int], everSent: Int, everDialed: Int,
        everConnected: Int, everAbandoned: Int, attempts: Int, retries: Int,
        errorCodes: [String: Int], timeToDeliver: TimingHistogram, timeToRead: TimingHistogram
    ) {
        self.family = family
        for (state, n) in stateCounts where n != 0 {
            contacts += n
            self.stateCounts[state.slot] += n
            switch family.info(state)?.stateClass ?? state.stateClass {
            case .reached: reached += n
            case .failure: failed += n
            case .excluded: excluded += n
            case .invalid: invalid += n
            case .pending: pending += n
            }
        }
        self.everSent = everSent
        self.everDialed = everDialed
        self.everConnected = everConnected
        self.everAbandoned = everAbandoned
        self.attempts = attempts
        self.retries = retries
        self.errorCodes = errorCodes.filter { $0.value != 0 }
        self.timeToDeliver = timeToDeliver
        self.timeToRead = timeToRead
    }

    /// Contacts whose current state is `state`.
    public func count(of state: ContactState) -> Int { stateCounts[state.joined.slot] }

    /// Contacts now delivered, read or responded (§6 `delivered`).
    public var delivered: Int {
        stateCounts[ContactState.delivered.slot] + stateCounts[ContactState.read.slot]
            + stateCounts[ContactState.responded.slot]
    }
    /// Contacts now read or responded (§6 `read`).
    public var read: Int {
        stateCounts[ContactState.read.slot] + stateCounts[ContactState.responded.slot]
    }
    /// Contacts now responded (messaging).
    public var responded: Int { stateCounts[ContactState.responded.slot] }
    /// Contacts now success (telephone).
    public var success: Int { stateCounts[ContactState.success.slot] }

    @inline(__always)
    private mutating func bump(_ c: ContactContribution, _ d: Int) {
        contacts += d
        stateCounts[c.state.joined.slot] += d
        switch c.stateClass {
        case .reached: reached += d
        case .failure: failed += d
        case .excluded: excluded += d
        case .invalid: invalid += d
        case .pending: pending += d
        }
        if c.everSent { everSent += d }
        if c.everDialed { everDialed += d }
        if c.everConnected { everConnected += d }
        if c.everAbandoned { everAbandoned += d }
        attempts += d * c.dispatchAttempt
        retries += d * max(0, c.dispatchAttempt - 1)
    }

    /// Counts a contact's contribution in.
    package mutating func add(_ c: ContactContribution) {
        bump(c, 1)
        if let code = c.failureCode { errorCodes[code, default: 0] += 1 }
        if let t = c.timeToDeliver { timeToDeliver.add(t) }
        if let t = c.timeToRead { timeToRead.add(t) }
    }

    /// Takes out a contribution added before.
    package mutating func remove(_ c: ContactContribution) {
        bump(c, -1)
        if let code = c.failureCode, let n = errorCodes[code] {
            errorCodes[code] = n > 1 ? n - 1 : nil
        }
        if let t = c.timeToDeliver { timeToDeliver.remove(t) }
        if let t = c.timeToRead { timeToRead.remove(t) }
    }

    /// Replaces a contact's old contribution (nil: not a contact yet) by its new one.
    package mutating func replace(_ old: ContactContribution?, with new: ContactContribution?) {
        guard old != new else { return }
        if let old { remove(old) }
        if let new { add(new) }
    }

    /// Adds every contact of `other` (a campaign of the same channel): counts summed, timings
    /// over all contacts.
    package mutating func merge(_ other: CampaignMetrics) {
        contacts += other.contacts
        for i in stateCounts.indices { stateCounts[i] += other.stateCounts[i] }
        reached += other.reached
        failed += other.failed
        excluded += other.excluded
        invalid += other.invalid
        pending += other.pending
        everSent += other.everSent
        everDialed += other.everDialed
        everConnected += other.everConnected
        everAbandoned += other.everAbandoned
        attempts += other.attempts
        retries += other.retries
        errorCodes.merge(other.errorCodes, uniquingKeysWith: +)
        timeToDeliver.merge(other.timeToDeliver)
        timeToRead.merge(other.timeToRead)
    }

    /// Every state with a non-zero count, with the count, in the order of the state ids.
    public var stateBreakdown: [(ContactState, Int)] {
        stateCounts.indices.compactMap { slot in
            guard stateCounts[slot] != 0, let s = ContactState.fromSlot(slot) else { return nil }
            return (s, stateCounts[slot])
        }.sorted { utf8Precedes($0.0.rawValue, $1.0.rawValue) }
    }

    /// The failure states with a non-zero count (§6 `failures`).
    public var failureBreakdown: [(ContactState, Int)] {
        stateBreakdown.filter { family.info($0.0)?.stateClass == .failure }
    }

    /// The `metrics` object of interchange.md §3. `maxDeliver`/`maxRead` are the exact maxima of
    /// the timings in ns (the histogram's max is only approximate under removal; when nil, its
    /// highest bucket stands in). `includeBreakdowns: false` leaves out `states`, `failures` and
    /// `errorCodes` (`campaign list`).
    package func metricsJSON(maxDeliver: Int64?, maxRead: Int64?, includeBreakdowns: Bool)
        -> JSONOutput
    {
        var m: [(String, JSONOutput)] = []
        m.reserveCapacity(19)
        m.append(("contacts", .int(Int64(contacts))))
        if includeBreakdowns { m.append(("states", Self.counts(stateBreakdown))) }
        m.append(("reached", .int(Int64(reached))))
        m.append(("failed", .int(Int64(failed))))
        m.append(("excluded", .int(Int64(excluded))))
        m.append(("invalid", .int(Int64(invalid))))
        switch family {
        case .messaging:
            let (sent, delivered, read, responded) = (everSent, delivered, read, responded)
            m.append(("sent", .int(Int64(sent))))
            m.append(("delivered", .int(Int64(delivered))))
            m.append(("read", .int(Int64(read))))
            m.append(("responded", .int(Int64(responded))))
            m.append(("deliveryRate", Self.rate(delivered, sent)))
            m.append(("readRate", Self.rate(read, delivered)))
            m.append(("responseRate", Self.rate(responded, delivered)))
        case .telephone:
            let (dialed, connected, abandoned) = (everDialed, everConnected, everAbandoned)
            m.append(("dialed", .int(Int64(dialed))))
            m.append(("connected", .int(Int64(connected))))
            m.append(("success", .int(Int64(success))))
            m.append(("abandoned", .int(Int64(abandoned))))
            m.append(("contactRate", Self.rate(connected, dialed)))
            m.append(("successRate", Self.rate(success, dialed)))
            m.append(("abandonRate", Self.rate(abandoned, connected + abandoned)))
        }
        m.append(("attempts", .int(Int64(attempts))))
        m.append(("retries", .int(Int64(retries))))
        if includeBreakdowns {
            m.append(("failures", Self.counts(failureBreakdown)))
            let codes = errorCodes.filter { $0.value != 0 }.sorted { utf8Precedes($0.key, $1.key) }
            m.append(("errorCodes", .object(codes.map { ($0.key, .int(Int64($0.value))) })))
        }
        if family == .messaging {
            m.append(("timeToDeliver", Self.timing(timeToDeliver, max: maxDeliver)))
            m.append(("timeToRead", Self.timing(timeToRead, max: maxRead)))
        }
        return .object(m)
    }

    private static func counts(_ entries: [(ContactState, Int)]) -> JSONOutput {
        .object(entries.map { ($0.0.rawValue, .int(Int64($0.1))) })
    }

    /// A rate, or null with a zero denominator.
    static func rate(_ numerator: Int, _ denominator: Int) -> JSONOutput {
        denominator == 0 ? .null : .double(Double(numerator) / Double(denominator))
    }

    /// Nanoseconds as seconds (the double nearest to the exact quotient).
    package static func seconds(_ ns: Int64?) -> JSONOutput {
        ns.map { .double(Double($0) / 1e9) } ?? .null
    }

    /// `{count, p50, p95, max}` in seconds; nulls when count is 0.
    static func timing(_ h: TimingHistogram, max: Int64?) -> JSONOutput {
        guard h.count > 0 else {
            return .object([("count", .int(0)), ("p50", .null), ("p95", .null), ("max", .null)])
        }
        return .object([
            ("count", .int(Int64(h.count))),
            ("p50", seconds(h.percentile(50))),
            ("p95", seconds(h.percentile(95))),
            ("max", seconds(max ?? h.approximateMax)),
        ])
    }
}

// MARK: - Binary form (inside a campaign aggregate's record)

extension CampaignMetrics {
    /// Layout: contacts varint · occupied states count, then (state code u8, count varint) each ·
    /// everSent, everDialed, everConnected, everAbandoned, attempts, retries varints · error code
    /// count, then (code string, count varint) each, sorted by code bytes · timeToDeliver and
    /// timeToRead histograms.
    func encode(into w: inout DomainByteWriter) {
        w.count(contacts)
        let occupied = stateCounts.indices.filter { stateCounts[$0] != 0 }
        w.count(occupied.count)
        for slot in occupied {
            w.byte(UInt8(slot))
            w.count(stateCounts[slot])
        }
        for v in [everSent, everDialed, everConnected, everAbandoned, attempts, retries] {
            w.count(v)
        }
        let codes = errorCodes.sorted { utf8Precedes($0.key, $1.key) }
        w.count(codes.count)
        for (code, n) in codes {
            w.string(code)
            w.count(n)
        }
        timeToDeliver.encode(into: &w)
        timeToRead.encode(into: &w)
    }

    init(family: ChannelFamily, from r: inout DomainByteReader) throws(DomainDecodingError) {
        self.init(family: family)
        let limit = Int(Int64.max / 2)
        contacts = try r.count(max: limit, "contacts")
        let occupied = try r.count(max: ContactState.slotCount, "state count")
        var total = 0
        var previous = 0
        for _ in 0..<occupied {
            let slot = Int(try r.byte())
            guard slot > previous, let state = ContactState.fromSlot(slot),
                let info = family.info(state), state.joined == state
            else { throw .invalid("state") }
            previous = slot
            let n = try r.count(max: contacts, "state count")
            guard n > 0 else { throw .invalid("state count") }
            stateCounts[slot] = n
            total += n
            switch info.stateClass {
            case .reached: reached += n
            case .failure: failed += n
            case .excluded: excluded += n
            case .invalid: invalid += n
            case .pending: pending += n
            }
        }
        guard total == contacts else { throw .invalid("contacts") }
        everSent = try r.count(max: contacts, "sent")
        everDialed = try r.count(max: contacts, "dialed")
        everConnected = try r.count(max: contacts, "connected")
        everAbandoned = try r.count(max: contacts, "abandoned")
        attempts = try r.count(max: limit, "attempts")
        retries = try r.count(max: attempts, "retries")
        let codes = try r.count(max: r.remaining / 2, "error code count")
        var last: String?
        for _ in 0..<codes {
            let code = try r.string("error code")
            if let last, !utf8Precedes(last, code) { throw .invalid("error code order") }
            let n = try r.count(max: contacts, "error code count")
            guard n > 0 else { throw .invalid("error code count") }
            errorCodes[code] = n
            last = code
        }
        timeToDeliver = try TimingHistogram(from: &r)
        timeToRead = try TimingHistogram(from: &r)
    }
}
