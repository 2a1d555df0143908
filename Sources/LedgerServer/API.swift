import CampaignLedger
import CampaignLedgerReport
import Foundation
import Hummingbird
import Metrics
import Logging
import NIOCore
import NIOPosix
import Prometheus
import Synchronization

/// The routes of http.md §2. Handlers parse the request, call one library function and write
/// its answer; no domain rule lives here (DESIGN.md §8). Reads of the store are synchronous
/// LMDB transactions, so they run on NIO's blocking thread pool, never on the event loops or
/// the cooperative executor's few threads; appends await the library's group-commit writer.
struct API: Sendable {
    typealias Context = BasicRequestContext
    let ledger: Ledger
    let authorizer: Authorizer
    let registry: PrometheusCollectorRegistry?
    /// Serving loopback only: `/metrics` needs no token then.
    let loopback: Bool
    /// The providers whose callbacks are taken (`--providers FILE`, re-read on SIGHUP).
    let providers: ProviderSettings
    let notifier = AppendNotifier()
    let rebuilds = RebuildRunner()

    func router() -> Router<Context> {
        let router = Router(context: Context.self)
        router.addMiddleware {
            RequestLogMiddleware()
            MetricsMiddleware()
            ErrorMiddleware()
        }
        router.get("/healthz") { _, _ in json(.object([("status", .string("ok"))])) }
        router.get("/readyz") { _, _ in try await ready() }
        router.get("/metrics") { request, _ in try prometheus(request) }
        router.get("/openapi.json") { _, _ in try openAPI() }

        let v1 = router.group("v1")
        v1.post("events") { request, context in try await appendEvents(request, context) }
        v1.get("events") { request, _ in
            try authorize(request, .read)
            let (after, limit) = try QueryParameters(request.uri).eventsPage()
            let lines = try await blocking {
                var text = ""
                for r in try ledger.events(from: after + 1, limit: limit) {
                    text += ExportLine.exportJSON(r)
                    text += "\n"
                }
                return text
            }
            return text(lines, "application/x-ndjson")
        }
        v1.get("events/stream") { request, context in
            try authorize(request, .read)
            return try EventStream(ledger: ledger, notifier: notifier).response(request, context)
        }
        v1.get("head") { request, _ in
            try authorize(request, .read)
            return json(try await blocking { try ledger.head().json })
        }
        v1.get("campaigns") { request, _ in
            try authorize(request, .read)
            let filter = try timeFilter(request)
            return json(try await blocking { try ledger.campaignListJSON(filter: filter) })
        }
        v1.get("campaigns/:campaign") { request, context in
            try authorize(request, .read)
            let (campaign, filter) = (try parameter(context, "campaign"), try timeFilter(request))
            return json(try await blocking { try ledger.campaignJSON(campaign, filter: filter) })
        }
        v1.get("campaigns/:campaign/metrics") { request, context in
            try authorize(request, .read)
            let (campaign, filter) = (try parameter(context, "campaign"), try timeFilter(request))
            return json(try await blocking { try ledger.metricsJSON(campaign: campaign, filter: filter) })
        }
        v1.get("metrics") { request, _ in
            try authorize(request, .read)
            let filter = try timeFilter(request)
            return json(try await blocking { try ledger.metricsJSON(filter: filter) })
        }
        v1.get("campaigns/:campaign/contacts") { request, context in
            try authorize(request, .read)
            let (campaign, filter) = (try parameter(context, "campaign"), try timeFilter(request))
            let (state, limit, after) = try QueryParameters(request.uri).contactsPage()
            return json(try await blocking {
                try ledger.contactListJSON(campaign: campaign, state: state, limit: limit, after: after, filter: filter)
            })
        }
        v1.get("campaigns/:campaign/contacts/:contact") { request, context in
            try authorize(request, .read)
            let (campaign, contact) = (try parameter(context, "campaign"), try parameter(context, "contact"))
            let filter = try timeFilter(request)
            return json(try await blocking { try ledger.contactJSON(campaign: campaign, contact: contact, filter: filter) })
        }
        v1.get("campaigns/:campaign/history") { request, context in
            try authorize(request, .read)
            let campaign = try parameter(context, "campaign")
            let contact = QueryParameters(request.uri).text("contact")
            return json(try await blocking { try ledger.historyJSON(campaign: campaign, contact: contact) })
        }
        v1.get("campaigns/:campaign/report") { request, context in
            try authorize(request, .read)
            let campaign = try parameter(context, "campaign")
            let html = try await blocking { try CampaignReport(ledger: ledger, campaign: campaign).html() }
            return text(html, "text/html; charset=utf-8")
        }
        v1.get("campaigns/:campaign/evidence") { request, context in
            try authorize(request, .read)
            let campaign = try parameter(context, "campaign")
            let lines = try await blocking {
                var text = ""
                try ledger.export(campaign: campaign, evidence: true) { text += $0 }
                return text
            }
            return text(lines, "application/x-ndjson")
        }
        v1.get("builds") { request, _ in
            try authorize(request, .read)
            return json(try await blocking { try ledger.buildsJSON() })
        }
        addCallbackRoutes(to: v1)
        v1.post("forget") { request, _ in try await forget(request) }
        v1.post("rebuild") { request, _ in
            try authorize(request, .admin)
            try rebuilds.start(ledger)
            return json(.object([("status", .string("started")), ("builds", .string("/v1/builds"))]), status: .accepted)
        }
        v1.post("builds/:build/activate") { request, context in
            try authorize(request, .admin)
            guard let number = Int(try parameter(context, "build")) else {
                throw APIError.badRequest("the build is a number (GET /v1/builds lists them)")
            }
            return json(try await blocking {
                try ledger.activate(build: number)
                guard let build = try ledger.builds().first(where: { $0.number == number }) else {
                    throw LedgerError.notFound("no build \(number)")
                }
                return build.json
            })
        }
        return router
    }

    // MARK: Handlers

    private func appendEvents(_ request: Request, _ context: Context) async throws -> Response {
        try authorize(request, .append)
        if let length = request.headers[.contentLength].flatMap(Int.init), length > Limits.maxBodyBytes {
            throw APIError.tooLarge
        }
        var request = request
        let buffer = try await request.collectBody(upTo: Limits.maxBodyBytes)
        let jsonLines = request.headers[.contentType].map(isJSONLines) ?? false
        let bytes = Array(buffer.readableBytesView)
        let batch = bytes.count <= Limits.inlineParseBytes
            ? try EventBatch(body: bytes, jsonLines: jsonLines)
            : try await blocking { try EventBatch(body: bytes, jsonLines: jsonLines) }
        if batch.events.contains(where: { $0.type == .contactForgotten }) {
            // An erasure is an admin act wherever it comes from (docs/erasure.md).
            try authorize(request, .admin)
        }
        let outcomes = try await ledger.append(batch.events, expecting: batch.expectations)
        notifier.notify()
        return json(AppendOutcome.document(outcomes))
    }

    /// `POST /v1/forget` (docs/erasure.md): `{"campaign", "contact", "reason", "actor"?}` or
    /// `{"address", "reason", "actor"?}`; answers what `ledger forget --json` prints.
    private func forget(_ request: Request) async throws -> Response {
        try authorize(request, .admin)
        var request = request
        let buffer = try await request.collectBody(upTo: 64 << 10)
        // A bad body is LedgerError.usage: 400 bad_request.
        let forget = try ForgetRequest(json: Array(buffer.readableBytesView))
        // No contact holding an address is the state asked for: 200 with nothing forgotten.
        let result = try await blocking { try ledger.forget(forget) }
        notifier.notify()
        return json(result.json)
    }

    private func ready() async throws -> Response {
        let (ok, why): (Bool, String) = try await blocking {
            guard let active = try ledger.builds().first(where: { $0.state == .active }) else {
                return (false, "no active projection build")
            }
            return active.lag == 0 ? (true, "ok") : (false, "the active build lags the log by \(active.lag) events")
        }
        guard ok else { throw APIError(.serviceUnavailable, "not_ready", why, retryAfter: 1) }
        return json(.object([("status", .string("ready"))]))
    }

    private func prometheus(_ request: Request) throws -> Response {
        if !loopback || !authorizer.isOpen { try authorize(request, .read) }
        guard let registry else { throw APIError.notFound("metrics are not collected in this process") }
        // Read at each scrape: parked callbacks also leave when an append applies them.
        if let parked = try? ledger.parkedCallbackCount() { Gauge(label: "ledger_parked_callbacks").record(parked) }
        return text(registry.emitToString(), "text/plain; version=0.0.4; charset=utf-8")
    }

    private func openAPI() throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
    }

    // MARK: Helpers

    /// Throws 401 for a missing or unknown token, 403 for a token without `scope`.
    func authorize(_ request: Request, _ scope: Scope) throws {
        guard let scopes = authorizer.scopes(authorization: request.headers[.authorization]) else {
            throw APIError(.unauthorized, "unauthorized", "a token is needed: send Authorization: Bearer TOKEN (a token of the --tokens file)")
        }
        guard scopes.contains(scope) else {
            throw APIError(.forbidden, "forbidden", "this token lacks the \(scope.rawValue) scope")
        }
    }

    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }

    func parameter(_ context: Context, _ name: String) throws -> String {
        let raw = try context.parameters.require(name)
        guard let decoded = raw.removingPercentEncoding else {
            throw APIError.badRequest("the \(name) in the path is not percent-encoded UTF-8")
        }
        return decoded
    }

    /// `asOf` or `occurredBefore` (`QueryParameters.timeFilter`).
    private func timeFilter(_ request: Request) throws -> TimeFilter? {
        try QueryParameters(request.uri).timeFilter()
    }

    /// The media type before any parameters, spaces and tabs trimmed, in any case. Plain
    /// Swift, not Foundation's `trimmingCharacters`, which cost 3.5 % of the server's CPU in
    /// single-event posts (this runs for every `POST /v1/events`).
    private func isJSONLines(_ contentType: String) -> Bool {
        func isSpace(_ c: Character) -> Bool { c == " " || c == "\t" }
        var type = contentType.prefix { $0 != ";" }
        while let c = type.first, isSpace(c) { type = type.dropFirst() }
        while let c = type.last, isSpace(c) { type = type.dropLast() }
        switch type.lowercased() {
        case "application/x-ndjson", "application/jsonl", "application/jsonlines": return true
        default: return false
        }
    }
}

/// A JSON answer: the library's serialization, byte for byte what the CLI prints (without the
/// CLI's final newline).
func json(_ value: JSONOutput, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: value.serialized())))
}

func text(_ value: String, _ contentType: String) -> Response {
    Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: value)))
}

/// Runs `POST /v1/rebuild` in the background, one at a time per server; the build's progress
/// is visible in `GET /v1/builds` (its checkpoint), and a rebuild interrupted by a shutdown
/// resumes where it stopped the next time.
final class RebuildRunner: Sendable {
    private let running = Mutex(false)

    func start(_ ledger: Ledger) throws {
        // Refused here, not in the background after a 202: the store cannot take the build.
        guard !ledger.isReadOnly else {
            throw LedgerError.unavailable("\(ledger.configuration.path) is read-only; a rebuild writes a new build")
        }
        let started = running.withLock { r -> Bool in
            if r { return false }
            r = true
            return true
        }
        guard started else {
            throw APIError(.serviceUnavailable, "busy", "a rebuild is already running; GET /v1/builds shows its progress", retryAfter: 10)
        }
        let logger = ledger.configuration.logger
        // A thread of its own: a rebuild takes long and must not hold a thread the queries need.
        let thread = Thread { [self] in
            do {
                let summary = try ledger.rebuild()
                logger.info("rebuild done", metadata: ["build": "\(summary.build)", "events": "\(summary.events)"])
            } catch {
                logger.error("rebuild failed: \(error)")
            }
            self.running.withLock { $0 = false }
        }
        thread.name = "ledger rebuild"
        thread.start()
    }
}

/// One line per request at `info`: method, path, status, duration. Never a header or a body.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var status = "error"
        defer {
            // Tenths of a millisecond by integer arithmetic: Foundation's String(format:) showed
            // in the profile of single-event posts.
            let tenths = Int(((ContinuousClock.now - start) / .microseconds(100)).rounded())
            context.logger.info("\(request.method) \(request.uri.path) \(status) \(tenths / 10).\(tenths % 10) ms")
        }
        let response = try await next(request, context)
        status = String(response.status.code)
        return response
    }
}
