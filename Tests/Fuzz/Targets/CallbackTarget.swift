import CampaignLedger
import Crypto
import Foundation

/// A provider's webhook: the target signs the payload itself with a fixed secret (as the
/// provider would) and hands it to `ProviderCallbacks.statuses`. The signed request is never
/// refused as unauthenticated: it is refused as malformed (400) or gives statuses; each status
/// carries a problem (parked with its reason) or builds the `contact.status` event the ledger
/// appends, checked by every rule of an imported line — and when the ledger would refuse that
/// event, only for a value the provider gave as it is (its error code, its error text), which
/// the ledger parks as `rejected`. The same request with a changed signature or token is
/// refused as unauthenticated (401).
enum CallbackTarget {
    static let secret = "fuzz-secret-for-every-provider-32b"
    static let twilioBase = "https://hooks.example.com/ledger"
    static let settings = CallbackSettings(
        meta: .init(appSecret: secret), twilio: .init(authToken: secret, publicBaseUrl: twilioBase),
        infobip: .init(token: secret), vonage: .init(signatureSecret: secret))
    /// The receive time the ledger gives statuses without a time of their own.
    static let receivedAtMicros: Int64 = 1_767_605_460_000_000
    /// Event fields the payload gives unchanged; the ledger may refuse them (and parks the status).
    static let payloadFields: Set<String> = ["code", "reason"]

    static func run(_ data: [UInt8], provider: FuzzTarget) throws(FuzzViolation) {
        switch provider {
        case .meta: try meta(data)
        case .twilio: try twilio(data)
        case .infobip: try infobip(data)
        case .vonage: try vonage(data)
        default: throw FuzzViolation("\(provider.rawValue) is not a provider")
        }
    }

    // MARK: Providers

    static func meta(_ body: [UInt8]) throws(FuzzViolation) {
        let signature = "sha256=" + Hex.encode(Array(HMAC<SHA256>.authenticationCode(for: body, using: key)))
        func request(_ signature: String) -> CallbackRequest {
            CallbackRequest(headers: [("X-Hub-Signature-256", signature)], body: body, url: "/v1/callbacks/meta")
        }
        try check(.meta, request(signature), body: body)
        try checkRefused(.meta, request(changed(signature, at: 7)))
    }

    static func twilio(_ data: [UInt8]) throws(FuzzViolation) {
        // The first line is the query Twilio calls the StatusCallback URL with (correlation).
        let newline = data.firstIndex(of: 0x0A) ?? data.count
        let query = String(decoding: data[..<newline], as: UTF8.self).filter { $0 != "#" }
        let body = Array(data[min(newline + 1, data.count)...])
        let path = "/v1/callbacks/twilio" + (query.isEmpty ? "" : "?" + query)
        func request(_ signature: String) -> CallbackRequest {
            CallbackRequest(
                headers: [("X-Twilio-Signature", signature), ("Content-Type", "application/x-www-form-urlencoded")],
                body: body, url: path)
        }
        guard let text = String(validating: body, as: UTF8.self), let form = FormBody.pairs(text) else {
            // Not a form: refused before any signature is looked at.
            try check(.twilio, request("not-checked"), body: body, mustBeMalformed: true)
            return
        }
        var signed = Array((twilioBase + path).utf8)
        for (name, value) in form.sorted(by: { ($0.name, $0.value) < ($1.name, $1.value) }) {
            signed += Array(name.utf8) + Array(value.utf8)
        }
        let signature = Data(HMAC<Insecure.SHA1>.authenticationCode(for: signed, using: key)).base64EncodedString()
        try check(.twilio, request(signature), body: body)
        try checkRefused(.twilio, request(changed(signature, at: 0)))
    }

    static func infobip(_ body: [UInt8]) throws(FuzzViolation) {
        func request(_ authorization: String) -> CallbackRequest {
            CallbackRequest(headers: [("Authorization", authorization)], body: body, url: "/v1/callbacks/infobip")
        }
        try check(.infobip, request("Bearer " + secret), body: body)
        try check(.infobip, request("Basic " + Data("ledger:\(secret)".utf8).base64EncodedString()), body: body)
        try checkRefused(.infobip, request("Bearer " + changed(secret, at: 0)))
    }

    static func vonage(_ body: [UInt8]) throws(FuzzViolation) {
        let digest = Hex.encode(Array(SHA256.hash(data: body)))
        let head = base64URL(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let claims = base64URL(Array(#"{"iat":1767605460,"iss":"Vonage","payload_hash":"\#(digest)"}"#.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(head).\(claims)".utf8), using: key)
        let signature = base64URL(Array(mac))
        func request(_ signature: String) -> CallbackRequest {
            CallbackRequest(headers: [("Authorization", "Bearer \(head).\(claims).\(signature)")], body: body, url: "/v1/callbacks/vonage")
        }
        try check(.vonage, request(signature), body: body)
        try checkRefused(.vonage, request(changed(signature, at: 0)))
    }

    // MARK: Invariants

    /// A correctly authenticated request: malformed, or statuses that are parked or append.
    static func check(_ provider: CallbackProvider, _ request: CallbackRequest, body: [UInt8], mustBeMalformed: Bool = false) throws(FuzzViolation) {
        let statuses: [ProviderStatus]
        do {
            statuses = try ProviderCallbacks.statuses(provider: provider, request: request, settings: settings)
        } catch {
            guard case .malformed(let message) = error, !message.isEmpty else {
                throw FuzzViolation("a \(provider.rawValue) payload signed with the secret was refused as \(error.httpStatus): \(error)")
            }
            guard readsAsOneLine(message) else {
                throw FuzzViolation("a \(provider.rawValue) refusal of several lines: \(excerpt(message))")
            }
            return
        }
        if mustBeMalformed { throw FuzzViolation("a \(provider.rawValue) body that is not a form gave statuses") }
        let bodySHA256 = Hex.encode(Array(SHA256.hash(data: body)))
        for status in statuses {
            guard status.provider == provider, status.bodySHA256 == bodySHA256 else {
                throw FuzzViolation("a status with another provider or body hash than its request's")
            }
            let idPrefix = "cb-\(provider.rawValue)-"
            guard status.eventID.hasPrefix(idPrefix), status.eventID.utf8.count == idPrefix.utf8.count + 32 else {
                throw FuzzViolation("a status event id not derived from the dedupe key: \(excerpt(status.eventID))")
            }
            let at = status.at ?? RFC3339.formatMicros(receivedAtMicros)
            let parked = ParkedCallback(status: status, reason: "fuzz", receivedAtMicros: receivedAtMicros, at: at)
            // Its parked entry (`GET /v1/callbacks/parked`) serializes whatever it holds.
            _ = parked.json.serialized()
            if let problem = status.problem {
                guard !problem.isEmpty, status.status == nil || status.messageID == nil || status.recordableRef == nil else {
                    throw FuzzViolation("a status parked without a reason, or with one though it maps and can be tied")
                }
                guard readsAsOneLine(problem) else {
                    throw FuzzViolation("a \(provider.rawValue) problem of several lines: \(excerpt(problem))")
                }
                continue
            }
            guard let state = status.status else { throw FuzzViolation("a status without a problem nor a state") }
            guard status.correlation != nil || status.recordableRef != nil else {
                throw FuzzViolation("a status without a problem that no contact can ever be found for")
            }
            let campaign = status.correlation?.campaign ?? "fuzz-campaign"
            let contact = status.correlation?.contact ?? "fuzz-contact"
            let attempt = status.correlation?.attempt
            variants: for parkedAt in [nil, receivedAtMicros] as [Int64?] {
                let event: Event
                do {
                    event = try parked.event(campaign: campaign, contact: contact, attempt: attempt, parkedAt: parkedAt)
                } catch let error as InputError {
                    // The ledger parks it: "rejected: field: message".
                    guard payloadFields.contains(error.field) else {
                        throw FuzzViolation("the \(provider.rawValue) adapter made a status whose event the ledger refuses at \(error)")
                    }
                    break variants
                } catch {
                    throw FuzzViolation("building the event threw \(error)")
                }
                guard event.type == .contactStatus, event.status == state, event.id == status.eventID,
                    event.providerRef == status.messageID, event.actor == provider.actor, event.campaign == campaign,
                    event.contact == contact, event.attempt == attempt, event.at == at
                else {
                    throw FuzzViolation("the event of a \(provider.rawValue) status differs from the status")
                }
                try ImportLineTarget.checkRoundTrip(event)
            }
        }
    }

    /// A request with a changed signature or token: 401, nothing read.
    static func checkRefused(_ provider: CallbackProvider, _ request: CallbackRequest) throws(FuzzViolation) {
        let result = Result { () throws(CallbackError) in
            try ProviderCallbacks.statuses(provider: provider, request: request, settings: settings)
        }
        switch result {
        case .success(let statuses):
            throw FuzzViolation("a \(provider.rawValue) payload with a wrong signature gave \(statuses.count) statuses")
        case .failure(.unauthenticated):
            return
        case .failure(let error):
            throw FuzzViolation("a \(provider.rawValue) payload with a wrong signature was refused as \(error.httpStatus), not 401")
        }
    }

    // MARK: Helpers

    static var key: SymmetricKey { SymmetricKey(data: Array(secret.utf8)) }

    /// `text` with its character at `k` replaced by another of the same alphabet.
    static func changed(_ text: String, at k: Int) -> String {
        var chars = Array(text)
        chars[k] = chars[k] == "A" || chars[k] == "a" ? "b" : (chars[k].isUppercase ? "A" : "a")
        return String(chars)
    }

    /// Unpadded base64url (RFC 7515).
    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
