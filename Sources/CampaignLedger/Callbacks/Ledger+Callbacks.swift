import Foundation
import Metrics

/// Provider callbacks in (http.md §3): a Swift service that receives the webhooks itself parses
/// them with `ProviderCallbacks.statuses(provider:request:settings:)` and hands the statuses here;
/// `ledger serve` and `ledger callbacks import` do the same.
extension Ledger {
    /// Appends each status as a `contact.status` event of the contact its correlation data or
    /// the `providerRef` index names, or parks it in the store when neither does yet (or it
    /// cannot be mapped, or is rejected: the outcome says why). Each status stands on its own;
    /// all of them are committed together (shared with concurrent callers) before this returns,
    /// so a 2xx answer to the provider can follow. A status whose event id is already in the log
    /// (a retried webhook) is a `duplicate`, kept in the side record of re-deliveries.
    public func receive(_ statuses: [ProviderStatus]) async throws -> [CallbackOutcome] {
        let result: Result<[CallbackOutcome], any Error> = await withCheckedContinuation { continuation in
            callbackCommitter.submit(CallbackBatch(statuses: statuses)) { continuation.resume(returning: $0) }
        }
        return try countCallbacks(result)
    }

    /// `receive` for synchronous callers (`ledger callbacks import`, a test). Blocks until committed.
    public func receiveAndWait(_ statuses: [ProviderStatus]) throws -> [CallbackOutcome] {
        let batch = CallbackBatch(statuses: statuses)
        let results = try replica.map { replica in try runBlocking { try await replica.receive([batch]) } } ?? store.receive([batch])
        let result = results[0].mapError { $0 as any Error }
        return try countCallbacks(result)
    }

    private func countCallbacks(_ result: Result<[CallbackOutcome], any Error>) throws -> [CallbackOutcome] {
        let outcomes = try result.get()
        for o in outcomes {
            switch o {
            case .appended: Counter(label: "ledger_callbacks", dimensions: [("outcome", "appended")]).increment()
            case .duplicate: Counter(label: "ledger_callbacks", dimensions: [("outcome", "duplicate")]).increment()
            case .parked: Counter(label: "ledger_callbacks", dimensions: [("outcome", "parked")]).increment()
            }
        }
        return outcomes
    }

    /// The callbacks waiting in the parked table, by message id.
    public func parkedCallbacks() throws -> [ParkedCallback] { try store.parkedCallbacks() }

    /// How many callbacks wait in the parked table (the `ledger_parked_callbacks` gauge).
    public func parkedCallbackCount() throws -> Int { try store.parkedCallbackCount() }

    /// `ledger callbacks parked --json`, `GET /v1/callbacks/parked`.
    public func parkedCallbacksJSON() throws -> JSONOutput { .array(try parkedCallbacks().map(\.json)) }

    /// Deletes the parked callbacks received before `micros` (µs since 1970, UTC); returns how
    /// many. Parked callbacks expire only this way (`ledger callbacks drop --older-than`).
    @discardableResult
    public func dropParkedCallbacks(receivedBefore micros: Int64) throws -> Int {
        try store.dropParkedCallbacks(receivedBefore: micros)
    }
}

extension CallbackOutcome {
    /// `{"outcome": "appended"|"duplicate", "position": N, "id": "…"}` as for events, or
    /// `{"outcome": "parked", "id": "…", "reason": "…"}`: each entry of the `outcomes` of
    /// `POST /v1/callbacks/{provider}` and of `ledger callbacks import --json`.
    public var json: JSONOutput {
        switch self {
        case .appended(let p, let id): AppendOutcome.appended(position: p, id: id).json
        case .duplicate(let p, let id): AppendOutcome.duplicate(position: p, id: id).json
        case .parked(let id, let reason):
            .object([("outcome", .string("parked")), ("id", .string(id)), ("reason", .string(reason))])
        }
    }
}

extension Ledger {
    /// Deletes the parked callbacks received more than `age` ago; returns how many.
    @discardableResult
    public func dropParkedCallbacks(olderThan age: Duration) throws -> Int {
        let micros = age.components.seconds * 1_000_000 + age.components.attoseconds / 1_000_000_000_000
        return try dropParkedCallbacks(receivedBefore: Clock.nowMicros() - micros)
    }
}

extension ParkedCallback {
    /// An age as `ledger callbacks drop --older-than` and `DELETE /v1/callbacks/parked?olderThan=`
    /// take it: a whole number and a unit, `s`, `m`, `h`, `d` (24 h) or `w` (e.g. `7d`, `36h`).
    public static func age(_ text: String) -> Duration? {
        guard let unit = text.last, let n = Int64(text.dropLast()), n >= 0 else { return nil }
        let seconds: Int64
        switch unit {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3_600
        case "d": seconds = 86_400
        case "w": seconds = 604_800
        default: return nil
        }
        let (total, overflow) = n.multipliedReportingOverflow(by: seconds)
        return overflow ? nil : .seconds(total)
    }
}
