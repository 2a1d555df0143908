import CampaignLedger

/// Brute force: the metrics and status of a campaign computed from scratch from its contacts'
/// current folds, straight from the text of domain.md §4 and §6. The incremental path
/// (`ContactContribution` + `CampaignAggregate`) must always agree with it; the domain tests
/// compare the two.
enum Recount {
    /// §6 over `folds` (the contacts of campaigns of one family).
    static func metrics(family: ChannelFamily, contacts folds: some Sequence<ContactFold>)
        -> CampaignMetrics
    {
        var states: [ContactState: Int] = [:]
        var sent = 0
        var dialed = 0
        var connected = 0
        var abandoned = 0
        var attempts = 0
        var retries = 0
        var codes: [String: Int] = [:]
        var deliver = TimingHistogram()
        var read = TimingHistogram()
        for k in folds where k.hasReport {
            states[k.state, default: 0] += 1
            func ever(_ list: [ContactState]) -> Bool { list.contains { k.ever($0) } }
            if ever([.sent, .delivered, .read, .responded, .deliveryFailed]) { sent += 1 }
            if ever([.calling, .callInProgress, .acw, .success, .canceledByClient, .unreachable]) {
                dialed += 1
            }
            if ever([.callInProgress, .acw, .success]) { connected += 1 }
            if ever([.canceledByClient]) { abandoned += 1 }
            attempts += k.dispatchAttempt
            retries += max(0, k.dispatchAttempt - 1)
            if family.info(k.state)?.stateClass == .failure, let code = k.code {
                codes[code, default: 0] += 1
            }
            if family == .messaging, let s = k.firstSentNanos {
                if let r = k.firstReachedNanos, r >= s { deliver.add(r - s) }
                if let r = k.firstReadNanos, r >= s { read.add(r - s) }
            }
        }
        return CampaignMetrics(
            family: family, stateCounts: states, everSent: family == .messaging ? sent : 0,
            everDialed: family == .telephone ? dialed : 0,
            everConnected: family == .telephone ? connected : 0,
            everAbandoned: family == .telephone ? abandoned : 0, attempts: attempts,
            retries: retries, errorCodes: codes, timeToDeliver: deliver, timeToRead: read)
    }

    /// The exact timing multisets (ns) of `folds`: timeToDeliver and timeToRead.
    static func timings(contacts folds: some Sequence<ContactFold>)
        -> (deliver: ExactTimings, read: ExactTimings)
    {
        var deliver = ExactTimings()
        var read = ExactTimings()
        for k in folds where k.hasReport {
            guard let s = k.firstSentNanos else { continue }
            if let r = k.firstReachedNanos, r >= s { deliver.add(r - s) }
            if let r = k.firstReadNanos, r >= s { read.add(r - s) }
        }
        return (deliver, read)
    }

    /// §4 from the lifecycle of `aggregate` and the classes of `folds`, rules in order.
    static func status(
        _ aggregate: CampaignAggregate, contacts folds: some Sequence<ContactFold>
    ) -> (status: CampaignStatus, endedBy: CampaignEndedBy?) {
        let classes = folds.filter(\.hasReport).map {
            aggregate.family.info($0.state)?.stateClass ?? .pending
        }
        let outcome: CampaignStatus = classes.contains(.reached) ? .completed : .failed
        if let end = aggregate.end { return (outcome, end == .finished ? .finished : .canceled) }
        if aggregate.phase == .notStarted { return (.queued, nil) }
        if !classes.isEmpty && classes.allSatisfy(\.isSettled) { return (outcome, .settled) }
        return (aggregate.paused ? .paused : .sending, nil)
    }

    /// The metrics object of `folds` with exact timings (exact p50/p95 too).
    static func metricsJSON(
        family: ChannelFamily, contacts folds: [ContactFold], includeBreakdowns: Bool = true
    ) -> JSONOutput {
        let m = metrics(family: family, contacts: folds)
        let (deliver, read) = timings(contacts: folds)
        guard case .object(let members) = m.metricsJSON(
            maxDeliver: deliver.max, maxRead: read.max, includeBreakdowns: includeBreakdowns)
        else { return .null }
        return .object(members.map { key, value in
            switch key {
            case "timeToDeliver": (key, exactTiming(deliver))
            case "timeToRead": (key, exactTiming(read))
            default: (key, value)
            }
        })
    }

    /// `{count, p50, p95, max}` in seconds from exact values; nulls when count is 0.
    static func exactTiming(_ t: ExactTimings) -> JSONOutput {
        .object([
            ("count", .int(Int64(t.count))),
            ("p50", CampaignMetrics.seconds(t.percentile(50))),
            ("p95", CampaignMetrics.seconds(t.percentile(95))),
            ("max", CampaignMetrics.seconds(t.max)),
        ])
    }
}
