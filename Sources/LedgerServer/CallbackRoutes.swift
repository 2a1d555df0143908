import CampaignLedger
import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// Provider callbacks (http.md §3): `POST /v1/callbacks/{provider}` takes a provider's webhook
/// as it sends it; the parked ones are listed and dropped. The webhook routes take no API token:
/// the provider's signature (or Infobip's token) is their authentication.
extension API {
    func addCallbackRoutes(to v1: RouterGroup<Context>) {
        v1.post("callbacks/:provider") { request, context in try await receiveCallback(request, context) }
        v1.get("callbacks/parked") { request, _ in
            try authorize(request, .read)
            return json(try await blocking { try ledger.parkedCallbacksJSON() })
        }
        v1.delete("callbacks/parked") { request, _ in
            try authorize(request, .admin)
            guard let text = request.uri.queryParameters.get("olderThan") else {
                throw APIError.badRequest("give olderThan, e.g. ?olderThan=7d (units s, m, h, d, w): parked callbacks received before then are dropped")
            }
            guard let age = ParkedCallback.age(text) else {
                throw APIError.badRequest("olderThan=\(text) is not an age like 7d or 36h (units s, m, h, d, w)")
            }
            let dropped = try await blocking { try ledger.dropParkedCallbacks(olderThan: age) }
            return json(.object([("dropped", .int(Int64(dropped)))]))
        }
    }

    private func receiveCallback(_ request: Request, _ context: Context) async throws -> Response {
        let name = try parameter(context, "provider")
        guard let provider = CallbackProvider(rawValue: name) else {
            throw APIError.notFound(
                "no provider \(name): callbacks are taken from \(CallbackProvider.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let settings = providers.current, settings.configured.contains(provider) else {
            throw APIError.notFound("provider \(name) is not configured: add its secret to the --providers file, then SIGHUP or restart")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > Limits.maxBodyBytes {
            throw APIError.tooLarge
        }
        var request = request
        let buffer = try await request.collectBody(upTo: Limits.maxBodyBytes)
        var headers: [(String, String)] = []
        for field in request.headers { headers.append((field.name.canonicalName, field.value)) }
        // HTTP/1's Host header arrives as the authority (Twilio signs the URL it called).
        if let host = request.head.authority, !headers.contains(where: { $0.0.lowercased() == "host" }) {
            headers.append(("Host", host))
        }
        let incoming = CallbackRequest(headers: headers, body: Array(buffer.readableBytesView), url: request.uri.description)
        let statuses: [ProviderStatus]
        switch Result(catching: { () throws(CallbackError) in
            try ProviderCallbacks.statuses(provider: provider, request: incoming, settings: settings)
        }) {
        case .success(let read): statuses = read
        case .failure(let error): throw APIError(error)
        }
        let outcomes = try await ledger.receive(statuses)
        if outcomes.contains(where: { if case .parked = $0 { false } else { true } }) { notifier.notify() }
        return json(.object([("outcomes", .array(outcomes.map(\.json)))]))
    }
}

extension APIError {
    /// 404 for a provider that is not configured, 401 for a callback that fails its
    /// authenticity check, 400 for a body that is not the provider's format at all.
    init(_ error: CallbackError) {
        switch error {
        case .notConfigured: self.init(.notFound, "not_found", error.description)
        case .unauthenticated: self.init(.unauthorized, "unauthorized", error.description)
        case .malformed: self.init(.badRequest, "bad_request", error.description)
        }
    }
}

/// The provider settings of `--providers FILE`, which SIGHUP re-reads (so a secret can be
/// rotated without a restart: docs/security.md); a file that no longer reads keeps the previous
/// settings and is logged.
final class ProviderSettings: Sendable {
    let path: String?
    private let settings: Mutex<CallbackSettings?>

    init(path: String?) throws(CallbackSettings.LoadError) {
        self.path = path
        settings = Mutex(try path.map { path throws(CallbackSettings.LoadError) in try CallbackSettings.load(path: path) })
    }

    var current: CallbackSettings? { settings.withLock { $0 } }

    func reload() throws(CallbackSettings.LoadError) {
        guard let path else { return }
        let fresh = try CallbackSettings.load(path: path)
        settings.withLock { $0 = fresh }
    }
}
