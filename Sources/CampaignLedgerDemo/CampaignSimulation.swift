import CampaignLedger

/// Simulates one campaign: the admin's lifecycle commands, the sender or dialer working through
/// the contacts, and the provider callbacks, each event with the time it happened and the time
/// the ledger receives it. Every line it makes is valid in arrival order (domain.md §5).
struct CampaignSimulation {
    typealias Failure = DemoCatalog.Failure

    let plan: CampaignPlan
    private var r: DemoRandom
    private let idKey: UInt64
    private var idCounter: UInt64 = 0
    private(set) var events: [GeneratedEvent] = []

    private var invalid: [Bool]
    private var removed: [Bool]
    private var queue = MinHeap<DispatchJob>()
    private var jobOrder: Int32 = 0

    // How this campaign's sources spell times.
    private let providerStyle: TimeStyle
    private let dialerStyle: TimeStyle
    /// A webhook outage: callbacks that happen inside it arrive in a burst after it.
    private var outage: (start: Int64, end: Int64)?
    private let predictive: Bool
    private var operatorFree: [Int64] = []

    private var pause: (at: Int64, until: Int64)?
    private var canceledAt: Int64?
    /// The latest time the sender or dialer did something (callbacks excluded).
    private var lastActivity: Int64 = 0

    init(plan: CampaignPlan, seed: UInt64) {
        self.plan = plan
        r = DemoRandom(seed: DemoRandom.mix(seed ^ DemoRandom.mix(UInt64(plan.index) &+ 0x0C0F_FEE0)))
        idKey = DemoRandom.mix(seed &+ 0x1D5E_ED00)
        invalid = Array(repeating: false, count: plan.contacts)
        removed = Array(repeating: false, count: plan.contacts)
        switch plan.channel {
        case .whatsapp: providerStyle = r.chance(0.5) ? .seconds : .millis
        case .sms: providerStyle = r.chance(0.5) ? .seconds : .micros
        case .telephone: providerStyle = .micros
        }
        dialerStyle = r.chance(0.5) ? .micros : .pragueMillis
        predictive = r.chance(0.5)
    }

    /// Runs the whole campaign; `events` then holds its lines in creation order.
    mutating func run() {
        let created = createdAt()
        let adminActor = plan.isStory ? "admin:alice" : r.pick(DemoCatalog.admins)
        var e = admin(.campaignCreated, at: created, actor: adminActor)
        if plan.isStory { e.id = "adm_2f6e1c0b8a4d7395" }
        append(e)

        let uploadEnd = upload(from: created + (plan.isStory ? 4 * DemoClock.minute : r.between(2 * DemoClock.minute, 30 * DemoClock.minute)), actor: adminActor)
        let removalsEnd = removeBeforeStart(after: uploadEnd)
        guard plan.ending != .neverStarted else { return }

        var start = removalsEnd + r.between(10 * DemoClock.minute, 20 * DemoClock.hour)
        if plan.isStory { start = max(HistoryGenerator.storyStart, removalsEnd + DemoClock.minute) }
        var started = admin(.campaignStarted, at: start, actor: adminActor)
        if plan.isStory { started.id = "adm_9c41d7e3b02a5f68"; started.style = .seconds }
        let startedIndex = append(started)
        if !plan.isStory && r.chance(0.15) {
            // The console's request was retried: the same command arrives twice.
            repeatLater(startedIndex, by: r.between(2 * DemoClock.second, 8 * DemoClock.second))
        }
        lastActivity = start
        if plan.channel != .telephone && r.chance(0.35) {
            let outageStart = start + r.between(DemoClock.minute, 3 * DemoClock.hour)
            outage = (outageStart, outageStart + r.between(15 * DemoClock.minute, 4 * DemoClock.hour))
        }
        dispatchAll(from: start, adminActor: adminActor)

        guard canceledAt == nil else { return }
        let window = plan.channel == .telephone
            ? r.between(5 * DemoClock.minute, 40 * DemoClock.minute)
            : r.between(2 * DemoClock.hour, 8 * DemoClock.hour)
        var finish = max(lastActivity, pause?.until ?? 0) + window
        if plan.isStory { finish = max(finish, start + 70 * DemoClock.minute) }
        append(admin(.campaignFinished, at: finish, actor: plan.isStory ? "admin:alice" : "scheduler"))
        if plan.isStory { tellStory(start: start, finishedAt: finish) }
    }

    // MARK: Lifecycle

    private mutating func createdAt() -> Int64 {
        if plan.isStory { return HistoryGenerator.storyCreated }
        return HistoryGenerator.storyCreated + Int64(plan.index) * 5 * DemoClock.hour
            + r.between(0, 2 * DemoClock.hour)
    }

    /// Loads the contacts as an admin's upload; returns when the upload ended.
    private mutating func upload(from begin: Int64, actor: String) -> Int64 {
        var t = begin
        for c in 0..<plan.contacts {
            let address: String
            if plan.isStory && c == 0 {
                address = HistoryGenerator.storyAddress
            } else if r.chance(0.025) {
                address = r.pick(DemoCatalog.invalidAddresses)
                invalid[c] = true
            } else {
                address = DemoCatalog.validAddress(&r)
            }
            var e = admin(.contactAdded, at: t, actor: actor)
            e.style = .millis
            e.at = t
            e.arrival = t
            e.contact = Int32(c)
            e.address = address
            if plan.isStory && c == 0 { e.id = "adm_41b8e07c5d3a9f12" }
            append(e)
            t += r.between(800, 25_000)
        }
        return t
    }

    /// Sometimes an admin removes a contact or two before starting (a duplicate, a complaint).
    private mutating func removeBeforeStart(after t: Int64) -> Int64 {
        guard plan.contacts >= 20 && r.chance(0.6) else { return t }
        var at = t
        for _ in 0..<(1 + r.below(2)) {
            let c = r.below(plan.contacts)
            guard !removed[c] && !(plan.isStory && c == 0) else { continue }
            at += r.between(DemoClock.minute, 2 * DemoClock.hour)
            removeContact(c, at: at, reason: r.pick(["Duplicate of another contact", "Customer asked not to be contacted", "Wrong segment"]))
        }
        return at
    }

    private mutating func removeContact(_ c: Int, at: Int64, reason: String) {
        removed[c] = true
        var e = admin(.contactRemoved, at: at, actor: r.pick(DemoCatalog.admins))
        e.contact = Int32(c)
        e.reason = reason
        append(e)
    }

    // MARK: Dispatch

    private mutating func dispatchAll(from start: Int64, adminActor: String) {
        var eligible = 0
        for c in 0..<plan.contacts where !invalid[c] && !removed[c] && !(plan.isStory && c == 0) {
            enqueue(contact: c, attempt: 1, ready: start)
            eligible += 1
        }
        let pauseAfter = plan.pauses && eligible >= 3 ? max(1, eligible * (25 + r.below(35)) / 100) : Int.max
        var cancelAfter = plan.ending == .canceled ? max(1, eligible * (35 + r.below(45)) / 100) : Int.max
        if pauseAfter != Int.max && cancelAfter != Int.max { cancelAfter = max(cancelAfter, pauseAfter + 1) }
        let operators = max(2, min(40, plan.contacts / 25))
        operatorFree = Array(repeating: start, count: operators)

        var now = start + r.between(300_000, 3 * DemoClock.second)
        var dispatched = 0
        while let job = queue.pop() {
            let c = Int(job.contact)
            if removed[c] { continue }
            var t: Int64
            var op = 0
            if plan.channel == .telephone {
                op = operatorFree.indices.min { operatorFree[$0] < operatorFree[$1] }!
                t = max(job.ready, operatorFree[op])
            } else {
                t = max(job.ready, now + r.between(8_000, 120_000))
            }
            if let p = pause, t >= p.at && t < p.until { t = p.until + r.between(DemoClock.second, 20 * DemoClock.second) }
            if plan.channel == .telephone {
                operatorFree[op] = callAttempt(contact: c, attempt: job.attempt, ready: job.ready, at: t, operator: op)
                lastActivity = max(lastActivity, operatorFree[op])
            } else {
                messageAttempt(contact: c, attempt: job.attempt, at: t)
                now = t
            }
            dispatched += 1
            if dispatched == pauseAfter { pauseCampaign(after: t) }
            if dispatched == cancelAfter {
                cancelCampaign(after: t, actor: adminActor)
                return
            }
        }
    }

    private mutating func enqueue(contact: Int, attempt: Int32, ready: Int64) {
        jobOrder += 1
        queue.push(DispatchJob(ready: ready, order: jobOrder, contact: Int32(contact), attempt: attempt))
    }

    /// Pauses shortly after `t`; while paused an admin removes a few contacts not yet reached.
    private mutating func pauseCampaign(after t: Int64) {
        let at = t + r.between(DemoClock.second, 90 * DemoClock.second)
        let until = at + r.between(20 * DemoClock.minute, 3 * DemoClock.hour)
        pause = (at, until)
        let actor = r.pick(DemoCatalog.admins)
        append(admin(.campaignPaused, at: at, actor: actor))
        var waiting: [Int] = []
        for job in queue.items where job.attempt == 1 && !removed[Int(job.contact)] {
            waiting.append(Int(job.contact))
        }
        let count = min(waiting.count, 1 + r.below(3))
        for k in 0..<count {
            let c = waiting[r.below(waiting.count)]
            guard !removed[c] else { continue }
            let when = at + (until - at) * Int64(k + 1) / Int64(count + 2)
            removeContact(c, at: when, reason: r.pick(["Customer complained about an earlier campaign", "Number belongs to an employee", "Opted out by phone"]))
        }
        append(admin(.campaignResumed, at: until, actor: actor))
    }

    /// Cancels shortly after `t`: everyone still waiting is marked canceled_by_admin.
    private mutating func cancelCampaign(after t: Int64, actor: String) {
        let at = max(t + r.between(2 * DemoClock.second, 10 * DemoClock.minute), (pause?.until ?? 0) + DemoClock.second)
        canceledAt = at
        var e = admin(.campaignCanceled, at: at, actor: actor)
        e.reason = r.pick(["Offer withdrawn", "Wrong template approved", "Budget exhausted"])
        append(e)
        var when = at + r.between(50_000, DemoClock.second)
        while let job = queue.pop() {
            let c = Int(job.contact)
            guard !removed[c] else { continue }
            when += r.between(1_000, 20_000)
            status(c, .canceledByAdmin, attempt: job.attempt, at: when, arrival: internalArrival(when), style: .millis,
                   actor: actor, prefix: "snd", reason: "Campaign canceled by \(actor)")
        }
    }

    // MARK: Messaging

    private mutating func messageAttempt(contact c: Int, attempt: Int32, at t: Int64) {
        lastActivity = max(lastActivity, t)
        if attempt == 1 && r.chance(0.01) {
            status(c, .blacklisted, attempt: 1, at: t, arrival: internalArrival(t), style: .millis,
                   actor: DemoCatalog.optOutList, prefix: "snd", reason: "The number is on the opt-out list")
            return
        }
        status(c, .inProgress, attempt: attempt, at: t, arrival: internalArrival(t), style: .millis,
               actor: DemoCatalog.sender, prefix: "snd")
        let x = r.unit()
        let provider = DemoCatalog.provider(plan.channel)
        if plan.channel == .whatsapp {
            if x < 0.035 {
                let limit = r.chance(0.4)
                let failure = limit ? DemoCatalog.whatsappRateLimit : DemoCatalog.whatsappGeneric
                let at = t + r.between(150_000, 1_200_000)
                status(c, .error, attempt: attempt, at: at, arrival: internalArrival(at), style: .millis,
                       actor: provider, prefix: "snd", failure: failure)
                retry(c, after: attempt, decidedAt: at + r.between(20_000, 400_000), failure: failure,
                      delay: limit ? r.between(11 * DemoClock.hour, 13 * DemoClock.hour) : r.between(30 * DemoClock.second, 5 * DemoClock.minute))
                return
            }
            let ref = "wamid.HBgM" + r.alphanumeric(40) + "AA=="
            if x < 0.07 {
                callback(c, .sendingFailed, attempt: attempt, at: t + r.between(DemoClock.second, 4 * DemoClock.second),
                         ref: ref, failure: DemoCatalog.whatsappUndeliverable)
                return
            }
            let sentAt = t + r.between(300_000, 2_500_000)
            callback(c, .sent, attempt: attempt, at: sentAt, ref: ref)
            lastActivity = max(lastActivity, sentAt)
            let y = r.unit()
            if y < 0.035 {
                let failure = r.chance(0.6) ? DemoCatalog.whatsappEcosystem : DemoCatalog.whatsappMarketingOptOut
                callback(c, .deliveryFailed, attempt: attempt, at: sentAt + r.skewed(2 * DemoClock.second, 30 * DemoClock.minute), ref: ref, failure: failure)
            } else if y < 0.045 {
                callback(c, .blockedOrSpam, attempt: attempt, at: sentAt + r.skewed(DemoClock.second, 10 * DemoClock.minute), ref: ref, failure: DemoCatalog.whatsappBlocked)
            } else if y >= 0.09 {           // below: no receipt ever, the phone never came back
                receipts(c, attempt: attempt, ref: ref, sentAt: sentAt, readable: true, respond: 0.14)
            }
        } else {
            if x < 0.03 {
                let at = t + r.between(100_000, 800_000)
                status(c, .error, attempt: attempt, at: at, arrival: internalArrival(at), style: .millis,
                       actor: provider, prefix: "snd", failure: DemoCatalog.twilioQueueOverflow)
                retry(c, after: attempt, decidedAt: at + r.between(20_000, 400_000), failure: DemoCatalog.twilioQueueOverflow,
                      delay: r.between(DemoClock.minute, 10 * DemoClock.minute))
                return
            }
            let ref = "SM" + r.hex(32)
            let sentAt = t + r.between(200_000, 1_500_000)
            // A legacy connector still reports "successfully_submitted" for sent.
            callback(c, r.chance(0.04) ? .successfullySubmitted : .sent, attempt: attempt, at: sentAt, ref: ref)
            lastActivity = max(lastActivity, sentAt)
            let y = r.unit()
            if y < 0.03 {
                let arrival = callback(c, .deliveryFailed, attempt: attempt, at: sentAt + r.skewed(5 * DemoClock.second, 2 * DemoClock.hour),
                                       ref: ref, failure: DemoCatalog.twilioUnreachable)
                if attempt < 2 && r.chance(0.5) {
                    retry(c, after: attempt, decidedAt: arrival + r.between(50_000, 500_000), failure: DemoCatalog.twilioUnreachable,
                          delay: r.between(30 * DemoClock.minute, 2 * DemoClock.hour))
                }
            } else if y < 0.055 {
                let failure = r.pick([DemoCatalog.twilioUnknownHandset, DemoCatalog.twilioLandline, DemoCatalog.twilioFiltered])
                callback(c, .deliveryFailed, attempt: attempt, at: sentAt + r.skewed(2 * DemoClock.second, 20 * DemoClock.minute), ref: ref, failure: failure)
            } else if y < 0.06 {
                callback(c, .failed, attempt: attempt, at: sentAt + r.skewed(2 * DemoClock.second, 20 * DemoClock.minute), ref: ref, failure: DemoCatalog.twilioUnknown)
            } else if y >= 0.10 {
                receipts(c, attempt: attempt, ref: ref, sentAt: sentAt, readable: false, respond: 0.03)
            }
        }
    }

    /// Delivery, read and reply receipts of a sent message.
    private mutating func receipts(_ c: Int, attempt: Int32, ref: String, sentAt: Int64, readable: Bool, respond: Double) {
        let online = r.unit()
        let deliveredAt = sentAt + (online < 0.8 ? r.skewed(400_000, 8 * DemoClock.second)
            : online < 0.95 ? r.between(DemoClock.minute, 2 * DemoClock.hour)
            : r.between(3 * DemoClock.hour, 30 * DemoClock.hour))
        // Meta skips `delivered` when the message is read at once.
        let skipDelivered = readable && r.chance(0.04)
        if !skipDelivered { callback(c, .delivered, attempt: attempt, at: deliveredAt, ref: ref) }
        if readable && (skipDelivered || r.chance(0.65)) {
            let z = r.unit()
            let readAt = skipDelivered ? deliveredAt + r.between(0, 2 * DemoClock.second)
                : deliveredAt + (z < 0.3 ? r.between(2 * DemoClock.second, DemoClock.minute)
                    : z < 0.8 ? r.skewed(DemoClock.minute, 3 * DemoClock.hour)
                    : r.between(3 * DemoClock.hour, 48 * DemoClock.hour))
            callback(c, .read, attempt: attempt, at: readAt, ref: ref)
            if r.chance(respond) { callback(c, .responded, attempt: attempt, at: readAt + r.skewed(20 * DemoClock.second, 2 * DemoClock.hour), ref: ref) }
        } else if !readable && r.chance(respond) {
            callback(c, .responded, attempt: attempt, at: deliveredAt + r.skewed(DemoClock.minute, 3 * DemoClock.hour), ref: ref)
        }
    }

    /// After a failed attempt: schedule the next one, or give up after the third.
    private mutating func retry(_ c: Int, after attempt: Int32, decidedAt at: Int64, failure: Failure, delay: Int64) {
        if attempt < 3 {
            status(c, .retryScheduled, attempt: attempt + 1, at: at, arrival: internalArrival(at), style: .millis,
                   actor: DemoCatalog.scheduler, prefix: "snd",
                   reason: "Attempt \(attempt + 1) scheduled after \(failure.code.map { "error \($0)" } ?? "a failure")")
            enqueue(contact: c, attempt: attempt + 1, ready: at + delay)
        } else {
            status(c, .failed, attempt: attempt, at: at, arrival: internalArrival(at), style: .millis,
                   actor: DemoCatalog.scheduler, prefix: "snd",
                   failure: Failure(code: failure.code, reason: "Gave up after \(attempt) attempts: \(failure.reason)"))
        }
        lastActivity = max(lastActivity, at)
    }

    // MARK: Telephone

    /// One call attempt by operator `op`; returns when the operator is free again.
    private mutating func callAttempt(contact c: Int, attempt: Int32, ready: Int64, at s: Int64, operator op: Int) -> Int64 {
        let names = DemoCatalog.operators
        let agent = names[op % names.count] + (op >= names.count ? String(op / names.count + 1) : "")
        if attempt == 1 && r.chance(0.01) {
            dialerStatus(c, .blacklisted, attempt: 1, at: s, reason: "The number is on the do-not-call list")
            return s
        }
        if s - ready > 3 * DemoClock.second && !(pause.map { ready >= $0.at && ready < $0.until } ?? false) {
            dialerStatus(c, .awaitingOperator, attempt: attempt, at: ready)
        }
        dialerStatus(c, .operatorAssigned, attempt: attempt, at: s)
        let free: Int64
        if !predictive && r.chance(0.04) {
            free = s + r.between(3 * DemoClock.second, 25 * DemoClock.second)
            dialerStatus(c, .rejectedByOperator, attempt: attempt, at: free, actor: agent, reason: "The operator skipped the contact in preview")
            return free
        }
        let bcw = s + r.between(DemoClock.second, 4 * DemoClock.second)
        dialerStatus(c, .bcw, attempt: attempt, at: bcw, actor: agent)
        let calling = bcw + r.between(8 * DemoClock.second, 30 * DemoClock.second)
        let ref = "CA" + r.hex(32)
        dialerStatus(c, .calling, attempt: attempt, at: calling, ref: ref)
        let x = r.unit()
        if x < 0.03 {
            let failedAt = calling + r.between(300_000, 2 * DemoClock.second)
            dialerStatus(c, .dialFailed, attempt: attempt, at: failedAt, ref: ref, failure: DemoCatalog.sipTrunkDown)
            free = failedAt + 10 * DemoClock.second
            if attempt < 3 && r.chance(0.5) {
                dialerStatus(c, .retryScheduled, attempt: attempt + 1, at: failedAt + DemoClock.second, failure: DemoCatalog.sipTrunkDown)
                enqueue(contact: c, attempt: attempt + 1, ready: failedAt + r.between(10 * DemoClock.minute, 30 * DemoClock.minute))
            }
        } else if x < 0.61 {
            if predictive && r.chance(0.07) {
                free = calling + r.between(4 * DemoClock.second, 18 * DemoClock.second)
                dialerStatus(c, .canceledByClient, attempt: attempt, at: free, ref: ref, reason: "The client hung up before an operator connected")
                return free
            }
            let talking = calling + r.between(4 * DemoClock.second, 25 * DemoClock.second)
            dialerStatus(c, .callInProgress, attempt: attempt, at: talking, ref: ref)
            let wrapUp = talking + r.skewed(40 * DemoClock.second, 9 * DemoClock.minute)
            dialerStatus(c, .acw, attempt: attempt, at: wrapUp, ref: ref, actor: agent)
            free = wrapUp + r.between(20 * DemoClock.second, 3 * DemoClock.minute)
            dialerStatus(c, .success, attempt: attempt, at: free, ref: ref, actor: agent)
        } else {
            let y = r.unit()
            let answer = y < 0.55 ? DemoCatalog.sipNoAnswer : y < 0.75 ? DemoCatalog.sipBusy : y < 0.9 ? DemoCatalog.sipDeclined : DemoCatalog.sipNotFound
            let ended = calling + (answer.code == "480" ? r.between(20 * DemoClock.second, 45 * DemoClock.second) : r.between(2 * DemoClock.second, 12 * DemoClock.second))
            free = ended + 3 * DemoClock.second
            if attempt < 3 && answer.code != "404" {
                dialerStatus(c, .retryScheduled, attempt: attempt + 1, at: ended + 500_000, ref: ref, failure: answer)
                enqueue(contact: c, attempt: attempt + 1, ready: ended + r.between(30 * DemoClock.minute, 4 * DemoClock.hour))
            } else {
                dialerStatus(c, .unreachable, attempt: attempt, at: ended + 500_000, ref: ref,
                             failure: Failure(code: answer.code, reason: "Unreachable after \(attempt) attempt\(attempt == 1 ? "" : "s"): \(answer.reason)"))
            }
        }
        return free
    }

    private mutating func dialerStatus(_ c: Int, _ state: ContactState, attempt: Int32, at: Int64, ref: String? = nil,
                                       actor: String = DemoCatalog.dialer, failure: Failure? = nil, reason: String? = nil) {
        var arrival = at + r.between(3_000, 250_000)
        if r.chance(0.015) { arrival += r.between(2 * DemoClock.second, 2 * DemoClock.minute) }
        let index = status(c, state, attempt: attempt, at: at, arrival: arrival, style: dialerStyle, actor: actor,
                           prefix: "dl", failure: failure, reason: reason, ref: ref)
        if r.chance(0.008) { repeatLater(index, by: r.between(DemoClock.second, 10 * DemoClock.minute)) }
    }

    // MARK: The story contact

    /// Contact c-0001 of spring-promo: the first attempt is sent but fails (131026), a retry is
    /// sent, and its delivery receipt reaches the ledger 47 minutes after the campaign finished;
    /// the failure callback is delivered twice.
    private mutating func tellStory(start s: Int64, finishedAt: Int64) {
        let ref1 = HistoryGenerator.storyProviderRefs[0], ref2 = HistoryGenerator.storyProviderRefs[1]
        func story(_ state: ContactState, _ attempt: Int32, at: Int64, arrival: Int64, id: String, actor: String,
                   ref: String? = nil, failure: Failure? = nil, reason: String? = nil) -> GeneratedEvent {
            var e = GeneratedEvent(type: .contactStatus, at: at, arrival: arrival, style: .millis, id: id, contact: 0)
            e.status = state
            e.attempt = attempt
            e.actor = actor
            e.providerRef = ref
            e.code = failure?.code
            e.reason = failure?.reason ?? reason
            e.alwaysWriteAttempt = true
            return e
        }
        let inProgress1 = s + 1_204_000
        append(story(.inProgress, 1, at: inProgress1, arrival: inProgress1 + 15_000, id: "snd_5a0c1f3e9b7d2264", actor: DemoCatalog.sender))
        let sent1 = s + 2_871_000
        append(story(.sent, 1, at: sent1, arrival: sent1 + 640_000, id: "wh_e4b19d0a7c3f5812", actor: "provider:whatsapp", ref: ref1))
        let failed1 = s + 41_388_000
        let failedArrival = failed1 + 1_203_000
        let failedIndex = append(story(.deliveryFailed, 1, at: failed1, arrival: failedArrival, id: "wh_0d93c6a1f25e7b48",
                                       actor: "provider:whatsapp", ref: ref1, failure: DemoCatalog.whatsappUndeliverable))
        let retryAt = failedArrival + 150_000
        append(story(.retryScheduled, 2, at: retryAt, arrival: retryAt + 12_000, id: "snd_73e2a9b05c1d4f86", actor: DemoCatalog.scheduler,
                     reason: "Attempt 2 scheduled after error 131026"))
        let inProgress2 = retryAt + 10 * DemoClock.minute
        append(story(.inProgress, 2, at: inProgress2, arrival: inProgress2 + 18_000, id: "snd_b8f14d6e2a09c357", actor: DemoCatalog.sender))
        let sent2 = inProgress2 + 1_902_000
        let sent2Arrival = sent2 + 410_000
        append(story(.sent, 2, at: sent2, arrival: sent2Arrival, id: "wh_29c7e05f8d1a6b34", actor: "provider:whatsapp", ref: ref2))
        // The provider retries the attempt-1 failure webhook after attempt 2 was sent.
        events.append(duplicate(of: failedIndex, arrival: sent2Arrival + 3_100_000))
        let delivered2 = sent2 + 2_615_000
        append(story(.delivered, 2, at: delivered2, arrival: finishedAt + 47 * DemoClock.minute + 12_500_000,
                     id: "wh_f61a8b3d0e4c9725", actor: "provider:whatsapp", ref: ref2))
    }

    // MARK: Making events

    private mutating func newID(_ prefix: String) -> String {
        idCounter += 1
        return prefix + "_" + DemoRandom.hex16(DemoRandom.mix(idKey ^ (UInt64(plan.index) << 40 | idCounter)))
    }

    /// An admin command: received as it is made.
    private mutating func admin(_ type: EventType, at: Int64, actor: String) -> GeneratedEvent {
        let style: TimeStyle = switch r.below(10) {
        case 0..<5: .seconds
        case 5..<8: .pragueSeconds
        default: .pragueMillis
        }
        let at = style == .pragueMillis ? at : at - at % DemoClock.second
        var e = GeneratedEvent(type: type, at: at, arrival: at, style: style, actor: actor)
        // A few lines come without an id (a hand-made import); the ledger derives one.
        e.id = r.chance(0.02) ? nil : newID("adm")
        return e
    }

    /// The sender and scheduler write to the ledger directly: a few milliseconds later.
    private mutating func internalArrival(_ at: Int64) -> Int64 { at + r.between(2_000, 60_000) }

    /// A provider callback (webhook): usually within seconds, sometimes minutes or a day late,
    /// in a burst after an outage, and now and then delivered twice.
    @discardableResult
    private mutating func callback(_ c: Int, _ state: ContactState, attempt: Int32, at: Int64, ref: String,
                                   failure: Failure? = nil) -> Int64 {
        var arrival = at + r.skewed(40_000, 2_500_000)
        let late = r.unit()
        if late < 0.04 { arrival += r.between(5 * DemoClock.second, 10 * DemoClock.minute) }
        else if late < 0.047 { arrival += r.between(DemoClock.hour, 26 * DemoClock.hour) }
        if let o = outage, at >= o.start && at < o.end { arrival = max(arrival, o.end + r.skewed(0, 25 * DemoClock.minute)) }
        let index = status(c, state, attempt: attempt, at: at, arrival: arrival, style: providerStyle,
                           actor: DemoCatalog.provider(plan.channel), prefix: "wh", failure: failure, ref: ref)
        if r.chance(0.025) {
            repeatLater(index, by: r.chance(0.7) ? r.between(DemoClock.second, DemoClock.minute) : r.between(10 * DemoClock.minute, 36 * DemoClock.hour))
        }
        return arrival
    }

    @discardableResult
    private mutating func status(_ c: Int, _ state: ContactState, attempt: Int32, at: Int64, arrival: Int64, style: TimeStyle,
                                 actor: String, prefix: String, failure: Failure? = nil, reason: String? = nil,
                                 ref: String? = nil) -> Int {
        var e = GeneratedEvent(type: .contactStatus, at: at, arrival: arrival, style: style, contact: Int32(c))
        e.id = r.chance(0.02) ? nil : newID(prefix)
        e.status = state
        e.attempt = attempt
        e.code = failure?.code
        e.reason = failure?.reason ?? reason
        e.providerRef = ref
        e.actor = actor
        return append(e)
    }

    /// The same line again, `delay` after the first arrived (only lines with an id can repeat).
    private mutating func repeatLater(_ index: Int, by delay: Int64) {
        guard events[index].id != nil else { return }
        events.append(duplicate(of: index, arrival: events[index].arrival + delay))
    }

    private mutating func duplicate(of index: Int, arrival: Int64) -> GeneratedEvent {
        events[index].isRepeated = true
        var copy = events[index]
        copy.arrival = arrival
        copy.repeats = Int32(index)
        copy.isRepeated = false
        return copy
    }

    @discardableResult
    private mutating func append(_ e: GeneratedEvent) -> Int {
        events.append(e)
        return events.count - 1
    }
}
