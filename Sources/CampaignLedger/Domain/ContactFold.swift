/// What a contact's fold reads of one report: an `Event`, or a stored record read in place
/// (`RecordView`), whose texts are copied (inline, see `FoldText`) only when the fold keeps them.
protocol ContactReport {
    var type: EventType { get }
    var status: ContactState? { get }
    var attempt: Int? { get }
    var atNanos: Int64 { get }
    var atText: FoldText { get }
    var addressText: FoldText? { get }
    /// Of a `contact.added` whose address was erased: .some(the address problem, nil when it was
    /// dialable); nil when not erased.
    var erasedAddressProblem: String?? { get }
    var codeText: FoldText? { get }
    var reasonText: FoldText? { get }
    /// The report's `providerRef`, as `current` when it is the same text (every callback of a
    /// message repeats it).
    func providerRefText(reusing current: FoldText?) -> FoldText?
}

extension Event: ContactReport {
    var atText: FoldText { FoldText(at) }
    var addressText: FoldText? { address.map(FoldText.init) }
    var erasedAddressProblem: String?? { erasedAddress.map(\.problem) }
    var codeText: FoldText? { code.map(FoldText.init) }
    var reasonText: FoldText? { reason.map(FoldText.init) }
    func providerRefText(reusing current: FoldText?) -> FoldText? { providerRef.map(FoldText.init) }
}

/// One contact's state as the ledger answers it (`Ledger.contact(campaign:contact:)`): the fold
/// of every appended report about the contact (`contact.added`, `contact.removed`,
/// `contact.status`) in position order (domain.md §3) — the current state and class, the report
/// that explains it (`code`, `reason`, `providerRef`, `updatedAt`), the address and the earliest
/// sent, reached and read instants. `Ledger.contactJSON` answers the same as a JSON document.
///
/// Inside the library it is also the stored per-contact record: a value type with a compact
/// binary form, because the store persists one per contact and updates it on every report.
public struct ContactFold: Sendable, Hashable {
    // Stored fields are declared widest first, so that the fold has no padding: a rebuild holds
    // one fold per contact in memory, and their size is most of its memory (and page faults).

    // The report that explains the state (the greatest key; among equal keys, the later one).
    /// The explaining report's key.
    package private(set) var key = JoinKey.initial
    /// The explaining report's instant (`updatedAt` as nanoseconds).
    public private(set) var updatedAtNanos: Int64 = 0
    /// The highest resolved attempt of the contact's `contact.status` reports (0 with none).
    public private(set) var attempt = 0
    /// The highest attempt among the contact's dispatch reports (domain.md §6), 0 with none.
    public private(set) var dispatchAttempt = 0
    /// Every (joined) state ever reported by `contact.status`, as a set of `ContactState.bit`.
    package private(set) var everMask: UInt64 = 0
    /// Appended events about the contact (added, removed, statuses).
    public private(set) var reports = 0
    /// Position of the last applied event.
    public private(set) var lastPosition: UInt64 = 0
    /// The earliest instants below, valid where `timingsPresent` has their bit.
    private var firstSent: Int64 = 0, firstReached: Int64 = 0, firstRead: Int64 = 0

    /// The explaining report's `code` (nil for `invalid_record`: see `show`).
    private(set) var codeText: FoldText?
    /// The explaining report's `reason`.
    private(set) var reasonText: FoldText?
    /// The explaining report's `at` text (`updatedAt`).
    private(set) var updatedAtText: FoldText?
    /// The explaining report's `providerRef`.
    private(set) var explainingProviderRef: FoldText?
    /// The `providerRef` of the last appended report that carried one.
    private(set) var lastProviderRef: FoldText?
    /// The address as uploaded, and the `at` text of `contact.added`.
    private(set) var addressText: FoldText?
    private(set) var addedAtText: FoldText?
    /// Why the address is not dialable (the `invalid_record` reason), or nil.
    public private(set) var addressProblem: String?

    /// Whether any report has been applied (before that, the fold is empty).
    public private(set) var hasReport = false
    /// Whether a `contact.removed` was applied.
    public private(set) var removed = false
    /// Whether a `contact.forgotten` was applied: the address is gone (docs/erasure.md).
    public private(set) var forgotten = false
    /// The contact's state: the explaining report's state as it joins (`successfully_submitted`
    /// is `sent`).
    public private(set) var state = ContactState.initial
    /// Which of `firstSent`, `firstReached`, `firstRead` are set (bits 0, 1, 2).
    private var timingsPresent: UInt8 = 0

    /// The explaining report's `code` as stored (`shownCode` is what answers show).
    public var code: String? { codeText?.string }
    /// The explaining report's `reason` as stored (`shownReason` is what answers show).
    public var reason: String? { reasonText?.string }
    /// The explaining report's `at` text.
    public var updatedAt: String? { updatedAtText?.string }
    /// The address as uploaded by `contact.added`.
    public var address: String? { addressText?.string }
    /// The `at` text of `contact.added`.
    public var addedAt: String? { addedAtText?.string }

    /// Earliest `at` of a `sent`/`successfully_submitted` report.
    public private(set) var firstSentNanos: Int64? {
        get { timingsPresent & 1 != 0 ? firstSent : nil }
        set { firstSent = newValue ?? 0; present(newValue != nil, bit: 1) }
    }
    /// Earliest `at` of a `delivered`, `read` or `responded` report.
    public private(set) var firstReachedNanos: Int64? {
        get { timingsPresent & 2 != 0 ? firstReached : nil }
        set { firstReached = newValue ?? 0; present(newValue != nil, bit: 2) }
    }
    /// Earliest `at` of a `read` report.
    public private(set) var firstReadNanos: Int64? {
        get { timingsPresent & 4 != 0 ? firstRead : nil }
        set { firstRead = newValue ?? 0; present(newValue != nil, bit: 4) }
    }

    @inline(__always)
    private mutating func present(_ set: Bool, bit: UInt8) {
        timingsPresent = set ? timingsPresent | bit : timingsPresent & ~bit
    }

    package init() {}

    /// Whether the contact has ever had a report of `state` (joined; `contact.status` only).
    public func ever(_ state: ContactState) -> Bool { everMask & state.joined.bit != 0 }

    /// The class of the current state.
    public var stateClass: StateClass { state.stateClass }

    /// Applies one appended event about this contact, at `position`, in a campaign of `family`.
    /// Events of other types, and statuses that are not of the family (never in a validated log),
    /// only count as reports. A status without a resolved `attempt` (never in the log) is resolved
    /// as the append path does.
    package mutating func apply(_ event: Event, position: UInt64, family: ChannelFamily) {
        apply(report: event, position: position, family: family)
    }

    /// `apply` of a report read in place or decoded.
    mutating func apply(report event: some ContactReport, position: UInt64, family: ChannelFamily) {
        if event.type == .contactForgotten {
            // Not a report: the state, its explanation and the counts stay; the address goes.
            forgotten = true
            addressText = nil
            lastPosition = position
            return
        }
        reports += 1
        lastPosition = position
        let providerRef = event.providerRefText(reusing: lastProviderRef)
        if let providerRef { lastProviderRef = providerRef }
        switch event.type {
        case .contactAdded:
            let at = event.atText
            addedAtText = at
            if let erased = event.erasedAddressProblem {
                addressText = nil
                addressProblem = erased
            } else {
                let address = event.addressText ?? FoldText("")
                addressText = address
                addressProblem = address.withBytes { AddressRule.problem(utf8: $0) }
            }
            if addressProblem == nil {
                join(.initial, key: .initial, event, at: at, providerRef: providerRef)
            } else {
                join(.invalidRecord, key: .invalidRecord, event, at: at, providerRef: providerRef)
            }
        case .contactRemoved:
            removed = true
            join(.removed, key: .removed, event, at: nil, providerRef: providerRef)
        case .contactStatus:
            guard let reported = event.status, let info = family.info(reported) else { return }
            let state = reported.joined
            let resolved = max(1, event.attempt
                ?? (state == .retryScheduled ? attempt + 1 : max(attempt, 1)))
            attempt = max(attempt, resolved)
            everMask |= state.bit
            if StateSets.dispatch(family) & state.bit != 0 {
                dispatchAttempt = max(dispatchAttempt, resolved)
            }
            let at = event.atNanos
            if StateSets.timingSent & state.bit != 0 { firstSentNanos = earliest(firstSentNanos, at) }
            if StateSets.timingReached & state.bit != 0 {
                firstReachedNanos = earliest(firstReachedNanos, at)
            }
            if StateSets.timingRead & state.bit != 0 { firstReadNanos = earliest(firstReadNanos, at) }
            join(state, key: JoinKey(info, attempt: resolved), event, at: nil, providerRef: providerRef)
        default:
            return
        }
    }

    /// `apply`, returning the contact's contribution before and after (in place: a fold in a
    /// collection is not copied to compute them).
    mutating func applyContributing(
        _ event: some ContactReport, position: UInt64, family: ChannelFamily
    ) -> (old: ContactContribution?, new: ContactContribution?) {
        let old = contribution(family: family)
        apply(report: event, position: position, family: family)
        return (old, contribution(family: family))
    }

    @inline(__always)
    private func earliest(_ current: Int64?, _ at: Int64) -> Int64 {
        guard let current else { return at }
        return min(current, at)
    }

    /// §3: the greatest key explains; among equal keys the one applied later. The report's
    /// texts are read only when it explains (`at` and `providerRef` when already read).
    @inline(__always)
    private mutating func join(
        _ state: ContactState, key: JoinKey, _ event: some ContactReport, at: FoldText?, providerRef: FoldText?
    ) {
        guard !hasReport || key >= self.key else { return }
        hasReport = true
        self.key = key
        self.state = state
        codeText = event.codeText
        reasonText = event.reasonText
        updatedAtText = at ?? event.atText
        updatedAtNanos = event.atNanos
        explainingProviderRef = providerRef
    }

    /// The contact's `providerRef`: the explaining report's, else the last one reported.
    public var providerRef: String? { (explainingProviderRef ?? lastProviderRef)?.string }

    /// The contact's `code` as answered: nil for `invalid_record`.
    public var shownCode: String? { state == .invalidRecord ? nil : code }

    /// The contact's `reason` as answered: the address problem for `invalid_record`.
    public var shownReason: String? { state == .invalidRecord ? addressProblem : reason }

    /// `ledger contact show --json` (interchange.md §3); `position` is the last position the
    /// answering projection applied.
    package func show(campaign: String, contact: String, position: UInt64) -> JSONOutput {
        .object([
            ("campaign", .string(campaign)),
            ("contact", .string(contact)),
            ("state", .string(state.rawValue)),
            ("class", .string(stateClass.rawValue)),
            ("attempt", .int(Int64(attempt))),
            ("code", shownCode.map(JSONOutput.string) ?? .null),
            ("reason", shownReason.map(JSONOutput.string) ?? .null),
            ("providerRef", providerRef.map(JSONOutput.string) ?? .null),
            ("address", address.map(JSONOutput.string) ?? .null),
        ] + (forgotten ? [("forgotten", .bool(true))] : []) + [
            ("addedAt", addedAt.map(JSONOutput.string) ?? .null),
            ("updatedAt", updatedAt.map(JSONOutput.string) ?? .null),
            ("reports", .int(Int64(reports))),
            ("position", .int(Int64(clamping: position))),
        ])
    }

    /// What this contact contributes to its campaign's metrics, or nil before `contact.added`
    /// (a fold without reports is not a contact).
    package func contribution(family: ChannelFamily) -> ContactContribution? {
        guard hasReport else { return nil }
        return ContactContribution(self, family: family)
    }
}

// MARK: - Binary form

extension ContactFold {
    /// The binary format version written by `encoded()`.
    package static let formatVersion: UInt8 = 1

    private enum Flag {
        static let hasReport: UInt16 = 1 << 0
        static let removed: UInt16 = 1 << 1
        static let code: UInt16 = 1 << 2
        static let reason: UInt16 = 1 << 3
        static let updatedAt: UInt16 = 1 << 4
        static let explainingRef: UInt16 = 1 << 5
        static let lastRef: UInt16 = 1 << 6
        static let firstSent: UInt16 = 1 << 7
        static let firstReached: UInt16 = 1 << 8
        static let firstRead: UInt16 = 1 << 9
        static let address: UInt16 = 1 << 10
        static let addedAt: UInt16 = 1 << 11
        static let problem: UInt16 = 1 << 12
        static let forgotten: UInt16 = 1 << 13
        static let all: UInt16 = (1 << 14) - 1
    }

    /// Layout (version 1): version u8 · flags varint · key tier u8, attempt varint, rank u8 ·
    /// state code u8 · updatedAtNanos zigzag · attempt, dispatchAttempt, everMask, reports,
    /// lastPosition varints · then, each only if its flag is set and in this order: code, reason,
    /// updatedAt, explaining providerRef, last providerRef (strings), firstSent, firstReached,
    /// firstRead (zigzag), address, addedAt, address problem (strings).
    package func encoded() -> [UInt8] {
        var w = DomainByteWriter(capacity: 160)
        encode(into: &w)
        return w.bytes
    }

    /// Appends what `encoded()` returns to `w`.
    func encode(into w: inout DomainByteWriter) {
        w.byte(Self.formatVersion)
        var flags: UInt16 = 0
        if hasReport { flags |= Flag.hasReport }
        if removed { flags |= Flag.removed }
        if forgotten { flags |= Flag.forgotten }
        if codeText != nil { flags |= Flag.code }
        if reasonText != nil { flags |= Flag.reason }
        if updatedAtText != nil { flags |= Flag.updatedAt }
        if explainingProviderRef != nil { flags |= Flag.explainingRef }
        if lastProviderRef != nil { flags |= Flag.lastRef }
        if firstSentNanos != nil { flags |= Flag.firstSent }
        if firstReachedNanos != nil { flags |= Flag.firstReached }
        if firstReadNanos != nil { flags |= Flag.firstRead }
        if addressText != nil { flags |= Flag.address }
        if addedAtText != nil { flags |= Flag.addedAt }
        if addressProblem != nil { flags |= Flag.problem }
        w.varint(UInt64(flags))
        w.byte(UInt8(clamping: key.tier))
        w.count(key.attempt)
        w.byte(UInt8(clamping: key.rank))
        w.byte(UInt8(state.slot))
        w.signed(updatedAtNanos)
        w.count(attempt)
        w.count(dispatchAttempt)
        w.varint(everMask)
        w.count(reports)
        w.varint(lastPosition)
        if let codeText { w.text(codeText) }
        if let reasonText { w.text(reasonText) }
        if let updatedAtText { w.text(updatedAtText) }
        if let explainingProviderRef { w.text(explainingProviderRef) }
        if let lastProviderRef { w.text(lastProviderRef) }
        if let firstSentNanos { w.signed(firstSentNanos) }
        if let firstReachedNanos { w.signed(firstReachedNanos) }
        if let firstReadNanos { w.signed(firstReadNanos) }
        if let addressText { w.text(addressText) }
        if let addedAtText { w.text(addedAtText) }
        if let addressProblem { w.string(addressProblem) }
    }

    /// Decodes what `encoded()` wrote; throws (never traps) on anything else.
    package init(decoding bytes: [UInt8]) throws(DomainDecodingError) {
        var r = DomainByteReader(bytes)
        let version = try r.byte()
        guard version == Self.formatVersion else { throw .unsupportedVersion(version) }
        let flags = UInt16(try r.count(max: Int(Flag.all), "flags"))
        func has(_ f: UInt16) -> Bool { flags & f != 0 }
        self.init()
        hasReport = has(Flag.hasReport)
        removed = has(Flag.removed)
        forgotten = has(Flag.forgotten)
        let tier = Int(try r.byte())
        let keyAttempt = try r.count(max: Int(Int32.max), "key attempt")
        let rank = Int(try r.byte())
        guard tier <= 4, rank <= 15 else { throw .invalid("key") }
        key = JoinKey(tier: tier, attempt: keyAttempt, rank: rank)
        let slot = Int(try r.byte())
        guard let state = ContactState.fromSlot(slot) else { throw .invalid("state") }
        self.state = state
        updatedAtNanos = try r.signed()
        attempt = try r.count(max: Int(Int32.max), "attempt")
        dispatchAttempt = try r.count(max: Int(Int32.max), "dispatch attempt")
        everMask = try r.varint()
        guard everMask >> UInt64(ContactState.slotCount) == 0, everMask & 1 == 0 else {
            throw .invalid("ever mask")
        }
        reports = try r.count(max: Int(Int64.max), "reports")
        lastPosition = try r.varint()
        if has(Flag.code) { codeText = try r.text("code") }
        if has(Flag.reason) { reasonText = try r.text("reason") }
        if has(Flag.updatedAt) { updatedAtText = try r.text("updatedAt") }
        if has(Flag.explainingRef) { explainingProviderRef = try r.text("providerRef") }
        if has(Flag.lastRef) { lastProviderRef = try r.text("last providerRef") }
        if has(Flag.firstSent) { firstSentNanos = try r.signed() }
        if has(Flag.firstReached) { firstReachedNanos = try r.signed() }
        if has(Flag.firstRead) { firstReadNanos = try r.signed() }
        if has(Flag.address) { addressText = try r.text("address") }
        if has(Flag.addedAt) { addedAtText = try r.text("addedAt") }
        if has(Flag.problem) { addressProblem = try r.string("address problem") }
        try r.finish()
    }
}
