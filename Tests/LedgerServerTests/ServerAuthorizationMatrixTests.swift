import CampaignLedger
import Foundation
import LedgerServer
import NIOHTTP1
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The authorization matrix: every route of the server × every credential. The routes come from
/// the OpenAPI document the server serves (each operation's `x-scope`: none, `read`, `append`,
/// `admin`, or `provider` for a webhook authenticated by the provider's signature), and the
/// document is held to the server's own route table, so a new route cannot skip the matrix.
@Suite(.serialized)
struct ServerAuthorizationMatrixTests {
    /// Credentials: no token, a token the file does not hold, and one token per scope.
    static let tokens = "# one scope each\nread-token-0001 read\nappend-token-0001 append\nadmin-token-0001 admin\n"
    enum Credential: String, CaseIterable {
        case none, wrong, read, append, admin
        var header: String? {
            switch self {
            case .none: nil
            case .wrong: "Bearer not-a-token-of-the-file"
            case .read: "Bearer read-token-0001"
            case .append: "Bearer append-token-0001"
            case .admin: "Bearer admin-token-0001"
            }
        }
    }

    struct Operation: CustomStringConvertible {
        var method: String
        var path: String
        var scope: String?
        var description: String { "\(method) \(path)" }
    }

    static func operations(_ document: String) throws -> [Operation] {
        let root = try object(document)
        let paths = try #require(root["paths"] as? [String: [String: Any]])
        var out: [Operation] = []
        for (path, operations) in paths {
            for (method, value) in operations {
                guard let operation = value as? [String: Any], operation["responses"] != nil else { continue }
                out.append(Operation(method: method.uppercased(), path: path, scope: operation["x-scope"] as? String))
            }
        }
        return out.sorted { $0.description < $1.description }
    }

    @Test(.timeLimit(.minutes(2)))
    func theDocumentListsExactlyTheServersRoutes() async throws {
        let (scratch, store, server) = try await startSample()
        defer { server.stopIfRunning(); scratch.remove() }
        let document = try await server.request(.GET, "/openapi.json").body
        let documented = Set(try Self.operations(document).map(\.description))
        #expect(try server.stop() == 0)

        let ledger = try Ledger(.init(path: store))
        var routed = Set<String>()
        for route in try LedgerServer.routes(ledger: ledger) {
            // One router entry takes every provider; the document has an operation per provider.
            if route == "POST /v1/callbacks/{provider}" {
                for p in CallbackProvider.allCases { routed.insert("POST /v1/callbacks/\(p.rawValue)") }
            } else {
                routed.insert(route)
            }
        }
        #expect(routed.count > 20, "\(routed)")
        #expect(routed.subtracting(documented).isEmpty, "routes missing from the OpenAPI document: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "documented operations the server lacks: \(documented.subtracting(routed).sorted())")
        for op in try Self.operations(document) {
            #expect(op.scope == nil || ["read", "append", "admin", "provider"].contains(op.scope!), "\(op): x-scope \(op.scope ?? "")")
        }
    }

    @Test(.timeLimit(.minutes(4)))
    func everyRouteUnderEveryCredential() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = try Sample.store(in: scratch)
        let server = try Server(
            store: store,
            arguments: ["--tokens", try scratch.write("tokens", Self.tokens), "--providers", try scratch.write("providers.json", Providers.settings)],
            scratch: scratch)
        defer { server.stopIfRunning() }
        try await server.waitHealthy()
        let operations = try Self.operations(try await server.request(.GET, "/openapi.json").body)
        #expect(operations.count > 20)
        var n = 0
        var checked = 0
        for op in operations {
            for credential in Credential.allCases {
                n += 1
                let request = Self.request(for: op, n: n)
                var headers = request.headers
                if let h = credential.header, op.scope != "provider" || !headers.contains(where: { $0.0 == "Authorization" }) {
                    headers.append(("Authorization", h))
                }
                if op.scope == "provider" { headers = Self.wrongSignature(op.path, headers) }
                let status = try rawStatus(port: server.port, method: op.method, path: request.path, headers: headers, body: request.body)
                let label = "\(op) with \(credential.rawValue) credential"
                switch op.scope {
                case nil:
                    #expect(status != 401 && status != 403 && status < 500, "\(label): \(status)")
                case "provider":
                    // API tokens mean nothing here: the provider's signature is the credential.
                    #expect(status == 401, "\(label) and a wrong signature: \(status)")
                case let scope?:
                    switch credential {
                    case .none, .wrong:
                        #expect(status == 401, "\(label): \(status), expected 401")
                    case _ where credential.rawValue == scope:
                        #expect(status != 401 && status != 403 && status < 500, "\(label): \(status), expected an answer")
                    default:
                        #expect(status == 403, "\(label): \(status), expected 403")
                    }
                }
                checked += 1
            }
            if op.scope == "provider" {
                // Correctly signed, with no API token: accepted.
                let request = Self.request(for: op, n: n)
                let status = try rawStatus(port: server.port, method: op.method, path: request.path, headers: request.headers, body: request.body)
                #expect(status == 200, "\(op) correctly signed: \(status)")
            }
        }
        #expect(checked == operations.count * Credential.allCases.count)
        #expect(try server.stop() == 0)
        #expect(try ledger(["verify", "--store", store]).status == 0)
    }

    /// A request for `op` that a credential with its scope gets a non-error answer to: path
    /// parameters filled from the sample store, a body where one is needed, and (for provider
    /// callbacks) the provider's correct signature.
    static func request(for op: Operation, n: Int) -> (path: String, headers: [(String, String)], body: String?) {
        var path = op.path.replacingOccurrences(of: "{campaign}", with: "spring")
            .replacingOccurrences(of: "{contact}", with: "c1").replacingOccurrences(of: "{build}", with: "1")
        switch (op.method, op.path) {
        case ("POST", "/v1/events"):
            return (path, [("Content-Type", "application/json")], "[\(addContact("spring", "matrix-\(n)"))]")
        case ("DELETE", "/v1/callbacks/parked"):
            path += "?olderThan=7d"
        case ("POST", "/v1/callbacks/meta"):
            let body = Meta.body([[Meta.Status(id: "wamid.matrix-\(n)", status: "delivered", timestamp: 1_767_604_200)]])
            return (path, [("Content-Type", "application/json"), ("X-Hub-Signature-256", Meta.signature(body))], body)
        case ("POST", "/v1/callbacks/twilio"):
            let form = Twilio.form(sid: "SM-matrix-\(n)", status: "delivered")
            let p = Twilio.path()
            return (p, [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", Twilio.signature(path: p, params: form))], Twilio.encode(form))
        case ("POST", "/v1/callbacks/infobip"):
            let body = Infobip.body([Infobip.report(messageId: "IB-matrix-\(n)", group: "DELIVERED", doneAt: "2026-01-05T09:31:00.000+0000")])
            return (path, [("Content-Type", "application/json"), ("Authorization", Infobip.bearer)], body)
        case ("POST", "/v1/callbacks/vonage"):
            let body = Vonage.status(uuid: "eeeeeeee-0000-4000-8000-\(String(format: "%012d", n))", status: "delivered", timestamp: "2026-01-05T09:31:00Z")
            return (path, [("Content-Type", "application/json"), ("Authorization", Vonage.authorization(body))], body)
        default:
            break
        }
        return (path, [], op.method == "POST" ? "" : nil)
    }

    /// The headers with the provider's signature replaced by a wrong one (or removed).
    static func wrongSignature(_ path: String, _ headers: [(String, String)]) -> [(String, String)] {
        headers.map { name, value in
            switch name {
            case "X-Hub-Signature-256": (name, "sha256=" + String(repeating: "0", count: 64))
            case "X-Twilio-Signature": (name, "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
            case "Authorization" where path.hasSuffix("/infobip"): (name, value == Infobip.bearer ? "Bearer wrong" : value)
            case "Authorization" where path.hasSuffix("/vonage"): (name, value.hasPrefix("Bearer ey") ? String(value.dropLast(4)) + "AAAA" : value)
            default: (name, value)
            }
        }
    }
}

/// One request on a fresh connection; the status code of the answer (only the status line is
/// read, so a stream's answer counts as soon as it starts).
func rawStatus(port: Int, method: String, path: String, headers: [(String, String)], body: String?, limit: Duration = .seconds(30)) throws -> Int {
    let fd = try connectLoopback(port: port)
    defer { close(fd) }
    var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    for (name, value) in headers { text += "\(name): \(value)\r\n" }
    if let body { text += "Content-Length: \(body.utf8.count)\r\n" }
    text += "\r\n" + (body ?? "")
    guard sendAll(fd, text) else { throw ProbeError.refused }
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if let line = received.firstIndex(of: 0x0A) {
            let status = String(decoding: received[..<line], as: UTF8.self).split(separator: " ")
            if status.count >= 2, let code = Int(status[1]) { return code }
            throw ProbeError.noAnswer(.zero)
        }
        var poll = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard Glibc.poll(&poll, 1, 100) > 0 else { continue }
        let n = recv(fd, &buffer, buffer.count, 0)
        if n <= 0 { break }
        received += buffer[..<n]
    }
    throw ProbeError.noAnswer(limit)
}
