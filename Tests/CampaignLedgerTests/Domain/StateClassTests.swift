import Testing
import CampaignLedger

/// `ContactState.stateClass`, the classification callers outside the fold use (the demo tour
/// finds the failed report of its story with it): every state's class as domain.md §2's tables
/// give it, and in particular every failure state, not a hand-picked few.
@Suite struct StateClassTests {
    @Test(arguments: domainMessagingRows + domainTelephoneRows)
    func classMatchesTheDomainTable(_ row: DomainRow) {
        #expect(row.state.stateClass == row.stateClass)
    }

    @Test func everyFailureStateIsAFailure() {
        let failures: [ContactState] = [
            .error, .failed, .deliveryFailed, .sendingFailed, .invalidContact, .blockedOrSpam,
            .dialFailed, .canceledByClient, .unreachable, .rejectedByOperator,
        ]
        for state in failures { #expect(state.stateClass == .failure, "\(state.rawValue)") }
        let others = ContactState.allCases.filter { !failures.contains($0) }
        for state in others { #expect(state.stateClass != .failure, "\(state.rawValue)") }
    }
}
