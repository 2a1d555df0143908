import Testing
@testable import CampaignLedger

/// One row of a state table of domain.md §2, written out by hand.
struct DomainRow: Sendable, CustomTestStringConvertible {
    let state: ContactState
    let tier: Int
    let rank: Int
    let stateClass: StateClass
    var testDescription: String { state.rawValue }

    init(_ state: ContactState, _ tier: Int, _ rank: Int, _ stateClass: StateClass) {
        self.state = state
        self.tier = tier
        self.rank = rank
        self.stateClass = stateClass
    }

    /// §3: (tier, attempt if tier 1 else 0, rank).
    func key(_ attempt: Int) -> (Int, Int, Int) { (tier, tier == 1 ? attempt : 0, rank) }
    /// Reported by `contact.status` (not initial, removed, invalid_record).
    var reportable: Bool { ![.initial, .removed, .invalidRecord].contains(state) }
}

let domainMessagingRows: [DomainRow] = [
    DomainRow(.initial, 0, 0, .pending),
    DomainRow(.queued, 1, 0, .pending),
    DomainRow(.retryScheduled, 1, 1, .pending),
    DomainRow(.inProgress, 1, 2, .pending),
    DomainRow(.sent, 1, 3, .pending),
    DomainRow(.error, 1, 4, .failure),
    DomainRow(.failed, 1, 5, .failure),
    DomainRow(.deliveryFailed, 1, 6, .failure),
    DomainRow(.sendingFailed, 1, 7, .failure),
    DomainRow(.invalidContact, 1, 8, .failure),
    DomainRow(.blockedOrSpam, 1, 9, .failure),
    DomainRow(.canceledByAdmin, 2, 0, .excluded),
    DomainRow(.blacklisted, 2, 1, .excluded),
    DomainRow(.removed, 2, 2, .excluded),
    DomainRow(.delivered, 3, 1, .reached),
    DomainRow(.read, 3, 2, .reached),
    DomainRow(.responded, 3, 3, .reached),
    DomainRow(.invalidRecord, 4, 0, .invalid),
]

let domainTelephoneRows: [DomainRow] = [
    DomainRow(.initial, 0, 0, .pending),
    DomainRow(.retryScheduled, 1, 0, .pending),
    DomainRow(.awaitingOperator, 1, 1, .pending),
    DomainRow(.operatorAssigned, 1, 2, .pending),
    DomainRow(.bcw, 1, 3, .pending),
    DomainRow(.calling, 1, 4, .pending),
    DomainRow(.callInProgress, 1, 5, .pending),
    DomainRow(.acw, 1, 6, .pending),
    DomainRow(.dialFailed, 1, 7, .failure),
    DomainRow(.canceledByClient, 1, 8, .failure),
    DomainRow(.unreachable, 1, 9, .failure),
    DomainRow(.rejectedByOperator, 1, 10, .failure),
    DomainRow(.canceledByAdmin, 2, 0, .excluded),
    DomainRow(.blacklisted, 2, 1, .excluded),
    DomainRow(.removed, 2, 2, .excluded),
    DomainRow(.success, 3, 1, .reached),
    DomainRow(.invalidRecord, 4, 0, .invalid),
]

/// Applies one row's report to a fold: statuses by `contact.status`, removed by
/// `contact.removed` (initial and invalid_record come only from `contact.added`).
private func report(_ fold: inout ContactFold, _ row: DomainRow, attempt: Int, family: ChannelFamily,
                    position: UInt64, code: String? = nil) {
    let event: Event
    switch row.state {
    case .removed: event = DomainLog.event(.contactRemoved, contact: "k", at: Int(position))
    default:
        event = DomainLog.event(.contactStatus, contact: "k", at: Int(position), status: row.state,
                                attempt: attempt, code: code)
    }
    fold.apply(event, position: position, family: family)
}

@Suite("Domain join (§2, §3)")
struct DomainJoinTests {
    @Test("messaging row: tier, rank, class, pairwise join", arguments: domainMessagingRows)
    func messagingRow(_ row: DomainRow) {
        check(row, in: domainMessagingRows, family: .messaging)
    }

    @Test("telephone row: tier, rank, class, pairwise join", arguments: domainTelephoneRows)
    func telephoneRow(_ row: DomainRow) {
        check(row, in: domainTelephoneRows, family: .telephone)
    }

    /// The row's info matches the table; against every other non-tier-0/4 row, in attempts 1 and
    /// 2 and both arrival orders, the report with the greater hand-computed key wins (equal keys:
    /// the later one); initial loses to any report; invalid_record absorbs everything.
    private func check(_ row: DomainRow, in rows: [DomainRow], family: ChannelFamily) {
        let info = family.info(row.state)
        #expect(info?.tier == row.tier)
        #expect(info?.rank == row.rank)
        #expect(info?.stateClass == row.stateClass)
        #expect(family.acceptsReport(row.state) == row.reportable)

        switch row.state {
        case .initial:
            let fold = domainFold(family, [])
            #expect(fold.state == .initial && fold.stateClass == .pending)
            for other in rows where other.reportable {
                #expect(domainFold(family, [(other.state, 1)]).state == other.state)
            }
            return
        case .invalidRecord:
            for other in rows where other.tier != 0 && other.tier != 4 {
                var fold = ContactFold()
                fold.apply(DomainLog.event(.contactAdded, contact: "k", address: "call me"),
                           position: 1, family: family)
                report(&fold, other, attempt: 3, family: family, position: 2)
                #expect(fold.state == .invalidRecord, "\(other.state) after invalid_record")
                #expect(fold.stateClass == .invalid)
            }
            return
        default:
            break
        }
        for other in rows where other.tier != 0 && other.tier != 4 {
            for (a, b) in [(1, 1), (1, 2), (2, 1)] {
                for rowFirst in [true, false] {
                    var fold = domainFold(family, [])
                    let first = rowFirst ? (row, a) : (other, b)
                    let second = rowFirst ? (other, b) : (row, a)
                    report(&fold, first.0, attempt: first.1, family: family, position: 2,
                           code: "first")
                    report(&fold, second.0, attempt: second.1, family: family, position: 3,
                           code: "second")
                    let k1 = first.0.key(first.1)
                    let k2 = second.0.key(second.1)
                    let expected = k2 >= k1 ? second.0 : first.0
                    #expect(
                        fold.state == expected.state,
                        "\(first.0.state)@\(first.1) then \(second.0.state)@\(second.1)")
                    #expect(fold.stateClass == expected.stateClass)
                    let explainer = k2 >= k1 ? "second" : "first"
                    if expected.state != .removed {
                        #expect(fold.code == explainer)
                    }
                }
            }
        }
    }

    @Test func joinKeyOrder() {
        #expect(JoinKey(tier: 1, attempt: 2, rank: 0) > JoinKey(tier: 1, attempt: 1, rank: 9))
        #expect(JoinKey(tier: 1, attempt: 1, rank: 4) > JoinKey(tier: 1, attempt: 1, rank: 3))
        #expect(JoinKey(tier: 2, attempt: 0, rank: 0) > JoinKey(tier: 1, attempt: 99, rank: 9))
        #expect(JoinKey(StateInfo(tier: 3, rank: 1, stateClass: .reached), attempt: 7).attempt == 0)
        #expect(JoinKey(StateInfo(tier: 1, rank: 1, stateClass: .pending), attempt: 7).attempt == 7)
        #expect(JoinKey.initial < JoinKey.removed && JoinKey.removed < JoinKey.invalidRecord)
    }

    @Test func lateSentAfterReadStaysRead() {
        let fold = domainFold(.messaging, [(.read, 1), (.sent, 1), (.delivered, 1), (.delivered, 1)])
        #expect(fold.state == .read)
        #expect(fold.reports == 5)
    }

    @Test func deliveredBeatsFailureInEitherOrder() {
        #expect(domainFold(.messaging, [(.delivered, 1), (.deliveryFailed, 1)]).state == .delivered)
        #expect(domainFold(.messaging, [(.deliveryFailed, 1), (.delivered, 1)]).state == .delivered)
        #expect(domainFold(.messaging, [(.delivered, 1), (.deliveryFailed, 5)]).state == .delivered)
        #expect(domainFold(.messaging, [(.blacklisted, 1), (.read, 1)]).state == .read)
    }

    @Test func successThenDialFailedInAttempt2() {
        let fold = domainFold(.telephone, [(.calling, 1), (.success, 1), (.dialFailed, 2)])
        #expect(fold.state == .success)
        #expect(fold.attempt == 2)
        #expect(fold.dispatchAttempt == 2)
    }

    @Test func retryScheduledAfterError() {
        let fold = domainFold(.messaging, [(.error, 1), (.retryScheduled, 2)])
        #expect(fold.state == .retryScheduled)
        #expect(fold.attempt == 2)
        #expect(fold.dispatchAttempt == 1)
    }

    @Test func lateFailureOfEarlierAttemptChangesNothing() {
        let fold = domainFold(.messaging, [(.error, 1), (.retryScheduled, 2), (.sent, 2),
                                           (.deliveryFailed, 1)])
        #expect(fold.state == .sent)
        #expect(fold.key == JoinKey(tier: 1, attempt: 2, rank: 3))
        // Without an attempt it is resolved as attempt 2 (the highest so far) and wins.
        let unresolved = domainFold(.messaging, [(.error, 1), (.retryScheduled, 2), (.sent, 2),
                                                 (.deliveryFailed, nil)])
        #expect(unresolved.state == .deliveryFailed)
        #expect(unresolved.attempt == 2)
        // An unresolved retry_scheduled is the next attempt.
        let retry = domainFold(.messaging, [(.error, 1), (.retryScheduled, nil)])
        #expect(retry.state == .retryScheduled && retry.attempt == 2)
    }

    @Test func invalidRecordAbsorbs() {
        var fold = ContactFold()
        fold.apply(DomainLog.event(.contactAdded, contact: "k", address: "+42 abc"), position: 1,
                   family: .messaging)
        for (i, s) in [ContactState.read, .delivered, .sent, .blacklisted].enumerated() {
            fold.apply(DomainLog.event(.contactStatus, contact: "k", status: s, attempt: 1,
                                       code: "x"),
                       position: UInt64(i + 2), family: .messaging)
        }
        fold.apply(DomainLog.event(.contactRemoved, contact: "k"), position: 9, family: .messaging)
        #expect(fold.state == .invalidRecord)
        #expect(fold.shownCode == nil)
        #expect(fold.shownReason == "phone number contains letters or special characters")
        #expect(fold.reports == 6)
        // "Ever" facts still count for an invalid contact.
        #expect(fold.ever(.read))
    }

    @Test func removedThenDeliveredIsDelivered() {
        var fold = domainFold(.messaging, [(.sent, 1)])
        fold.apply(DomainLog.event(.contactRemoved, contact: "k"), position: 5, family: .messaging)
        #expect(fold.state == .removed && fold.removed)
        fold.apply(DomainLog.event(.contactStatus, contact: "k", status: .delivered, attempt: 1),
                   position: 6, family: .messaging)
        #expect(fold.state == .delivered)
        fold.apply(DomainLog.event(.contactStatus, contact: "k", status: .sent, attempt: 3),
                   position: 7, family: .messaging)
        #expect(fold.state == .delivered)
    }

    @Test func successfullySubmittedJoinsAsSent() {
        let fold = domainFold(.messaging, [(.successfullySubmitted, 1)])
        #expect(fold.state == .sent)
        #expect(fold.ever(.sent) && fold.ever(.successfullySubmitted))
        #expect(fold.dispatchAttempt == 1)
        // It loses to a failure of the same attempt, like sent.
        #expect(domainFold(.messaging, [(.error, 1), (.successfullySubmitted, 1)]).state == .error)
    }

    @Test func equalKeysLaterExplains() {
        var fold = domainFold(.messaging, [])
        fold.apply(DomainLog.event(.contactStatus, contact: "k", at: 5, status: .error, attempt: 1,
                                   code: "A", reason: "first", ref: "r1"),
                   position: 2, family: .messaging)
        fold.apply(DomainLog.event(.contactStatus, contact: "k", at: 3, status: .error, attempt: 1,
                                   code: "B", reason: "second"),
                   position: 3, family: .messaging)
        #expect(fold.code == "B" && fold.reason == "second")
        #expect(fold.updatedAt == DomainLog.atText(3))
        // The explaining report has no providerRef: the last one reported stands in.
        #expect(fold.providerRef == "r1")
        #expect(fold.lastPosition == 3)
    }

    @Test func contactAttemptIsHighestResolvedNotExplaining() {
        let fold = domainFold(.messaging, [(.read, 1), (.queued, 3)])
        #expect(fold.state == .read && fold.attempt == 3 && fold.dispatchAttempt == 1)
        #expect(domainFold(.messaging, []).attempt == 0)
    }

    @Test func contactShowShape() {
        var log = DomainLog.campaign(.whatsapp, contacts: [])
        log.added("c-17", address: "+420601234567", at: 1, ref: nil)
        log.status("c-17", .sent, at: 2, ref: "wamid.1")
        log.status("c-17", .read, at: 63)
        log.status("c-17", .delivered, at: 4)
        let p = log.projector
        let json = p.contactShow("c", "c-17")
        let expected = """
            {"campaign":"c","contact":"c-17","state":"read","class":"reached","attempt":1,\
            "code":null,"reason":null,"providerRef":"wamid.1","address":"+420601234567",\
            "addedAt":"2026-11-20T08:00:01Z","updatedAt":"2026-11-20T08:01:03Z","reports":4,\
            "position":6}
            """
        #expect(json?.serialized() == expected)
        #expect(p.contactShow("c", "nobody") == nil)
        #expect(p.contactShow("nope", "c-17") == nil)
    }

    @Test func invalidRecordShow() {
        var log = DomainLog.campaign(.sms, contacts: [])
        log.added("x", address: "")
        log.status("x", .deliveryFailed, code: "30003", reason: "unreachable")
        let json = log.projector.contactShow("c", "x")!
        #expect(json["state"] == .string("invalid_record"))
        #expect(json["class"] == .string("invalid"))
        #expect(json["code"] == .null)
        #expect(json["reason"] == .string("empty phone number"))
        #expect(json["attempt"] == .int(1))
    }

    @Test func slotsEqualStableCodes() {
        for s in ContactState.allCases {
            #expect(s.slot == Int(s.code))
            #expect(ContactState.fromSlot(s.slot) == s)
        }
        #expect(ContactState.fromSlot(0) == nil)
        #expect(ContactState.fromSlot(ContactState.slotCount) == nil)
        #expect(ContactState.allCases.count + 1 == ContactState.slotCount)
    }
}

@Suite("Domain address rule (§5)")
struct DomainAddressRuleTests {
    @Test(arguments: ["+420 601 234 567", "(601) 234-567", "601.234.567", "123456",
                      "+123456789012345", "+1-(555)-123.4567"])
    func valid(_ address: String) {
        #expect(AddressRule.problem(address) == nil)
    }

    @Test func reasons() {
        #expect(AddressRule.problem("") == "empty phone number")
        #expect(AddressRule.problem(" -().") == "empty phone number")
        #expect(AddressRule.problem("12345") == "phone number has 5 digits, 6 to 15 expected")
        #expect(AddressRule.problem("+1234567890123456")
                == "phone number has 16 digits, 6 to 15 expected")
        #expect(AddressRule.problem("+") == "phone number contains letters or special characters")
        #expect(AddressRule.problem("601\t234567")
                == "phone number contains letters or special characters")
        #expect(AddressRule.problem("12+3456789")
                == "phone number contains letters or special characters")
        #expect(AddressRule.problem("++123456789")
                == "phone number contains letters or special characters")
        #expect(AddressRule.problem("60123456７")
                == "phone number contains letters or special characters")
        #expect(AddressRule.problem("call me") != nil)
    }
}
