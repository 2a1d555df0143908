import CampaignLedger
import HTTPTypes
import Logging
public import Hummingbird
import NIOCore

/// An error answer (http.md §2): `{"error": {"status": N, "code": "…", "message": "…"}}`, plus
/// `"index"` (0-based, the event in the request) when one event is at fault.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var index: Int?
    /// Seconds after which a retry may succeed (503).
    public var retryAfter: Int?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, index: Int? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.index = index
        self.retryAfter = retryAfter
    }

    static func badRequest(_ message: String, index: Int? = nil) -> APIError {
        APIError(.badRequest, "bad_request", message, index: index)
    }

    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }

    static let tooLarge = APIError(
        .contentTooLarge, "too_large",
        "the request body is over \(Limits.maxBodyBytes >> 20) MiB; send the events in smaller batches")

    /// The answer for a ledger error: the same conditions the CLI maps to exit statuses.
    init(_ error: LedgerError) {
        switch error {
        case .storeNotFound, .notFound:
            self.init(.notFound, "not_found", error.description)
        case .usage(let what):
            self.init(.badRequest, "bad_request", what)
        case .invalidInput(let input, let index):
            // An id given again with other content is a conflict with what is stored, not a
            // broken rule of the event itself.
            let reused = input.field == "id" && input.message.hasPrefix("id reused")
            self.init(
                reused ? .conflict : .unprocessableContent, reused ? "id_reused" : "invalid_event",
                "\(input)", index: index.map { $0 - 1 })
        case .versionConflict:
            self.init(.conflict, "expectation_failed", error.description)
        case .unavailable(let what):
            self.init(.serviceUnavailable, "unavailable", what, retryAfter: 1)
        case .corrupted, .diverged, .internal:
            self.init(.internalServerError, "internal", error.description)
        }
    }

    var json: JSONOutput {
        var members: [(String, JSONOutput)] = [
            ("status", .int(Int64(status.code))), ("code", .string(code)), ("message", .string(message)),
        ]
        if let index { members.append(("index", .int(Int64(index)))) }
        return .object([("error", .object(members))])
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: json.serialized())))
    }
}

/// Turns every error below it into the error document: ledger errors by their kind, a body
/// over the limit into 413, Hummingbird's own (no such route, …) by their status, anything else
/// into a 500 that is logged.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as LedgerError {
            if case .corrupted = error { context.logger.error("\(error)") }
            if case .diverged = error { context.logger.error("\(error)") }
            if case .internal = error { context.logger.error("\(error)") }
            return try APIError(error).response(from: request, context: context)
        } catch is NIOTooManyBytesError {
            return try APIError.tooLarge.response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            let status = error.status
            let code = status == .notFound ? "not_found" : status == .methodNotAllowed ? "method_not_allowed" : "http_\(status.code)"
            let message = status == .notFound
                ? "no route \(request.method) \(request.uri.path); GET /openapi.json lists the routes"
                : status.reasonPhrase
            return try APIError(status, code, message).response(from: request, context: context)
        } catch {
            context.logger.error("internal error: \(error)")
            return try APIError(.internalServerError, "internal", "internal error; the server log has the details")
                .response(from: request, context: context)
        }
    }
}
