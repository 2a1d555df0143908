import CampaignLedger
import Crypto
import Foundation

/// Secrets of the test providers file.
enum Secrets {
    static let meta = "meta-app-secret-1"
    static let twilio = "twilio-auth-token-1"
    static let infobip = "infobip-token-1"
    static let vonage = "vonage-signature-secret-1"
    static let all = CallbackSettings(
        meta: .init(appSecret: meta), twilio: .init(authToken: twilio, publicBaseUrl: "https://hooks.example.com"),
        infobip: .init(token: infobip), vonage: .init(signatureSecret: vonage))
}

func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

func sha256Hex(_ text: String) -> String { hex(SHA256.hash(data: Array(text.utf8))) }

/// The event id the contract defines, computed here from the dedupe parts independently.
func expectedEventID(_ provider: String, _ parts: [String]) -> String {
    let joined = Array(parts.joined(separator: "\u{0}").utf8)
    return "cb-\(provider)-" + hex(SHA256.hash(data: joined).prefix(16))
}

func base64URL(_ bytes: some Sequence<UInt8>) -> String {
    Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}

/// Requests signed as each provider signs them.
enum Signed {
    static func meta(_ body: String, secret: String = Secrets.meta) -> CallbackRequest {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return CallbackRequest(
            headers: [("Content-Type", "application/json"), ("X-Hub-Signature-256", "sha256=" + hex(mac))],
            body: Array(body.utf8), url: "/v1/callbacks/meta")
    }

    /// `fields` in the order Twilio posts them; the signature over the public URL.
    static func twilio(
        _ fields: [(String, String)], query: String = "", base: String = "https://hooks.example.com", secret: String = Secrets.twilio
    ) -> CallbackRequest {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let body = fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
        var signed = base + "/v1/callbacks/twilio" + query
        for (name, value) in fields.sorted(by: { $0.0 < $1.0 }) { signed += name + value }
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(signed.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return CallbackRequest(
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", Data(mac).base64EncodedString())],
            body: Array(body.utf8), url: "/v1/callbacks/twilio" + query)
    }

    static func infobip(_ body: String, authorization: String = "Bearer \(Secrets.infobip)") -> CallbackRequest {
        CallbackRequest(
            headers: [("Content-Type", "application/json"), ("Authorization", authorization)], body: Array(body.utf8),
            url: "/v1/callbacks/infobip")
    }

    static func vonageJWT(body: String, secret: String = Secrets.vonage, alg: String = "HS256", payloadHash: String? = nil) -> String {
        let head = base64URL(Array(#"{"alg":"\#(alg)","typ":"JWT"}"#.utf8))
        let claims = #"{"iat":1767605400,"jti":"6bf1d2a4-1e1e-4f3c-9a61-1bd1b8a5c3f0","iss":"Vonage","payload_hash":"\#(payloadHash ?? sha256Hex(body))","api_key":"abcd1234","application_id":"aaaaaaaa-bbbb-cccc-dddd-0123456789ab"}"#
        let payload = base64URL(Array(claims.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(head).\(payload)".utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return "\(head).\(payload).\(base64URL(mac))"
    }

    static func vonage(_ body: String, token: String? = nil) -> CallbackRequest {
        CallbackRequest(
            headers: [("content-type", "application/json"), ("authorization", "Bearer " + (token ?? vonageJWT(body: body)))],
            body: Array(body.utf8), url: "/v1/callbacks/vonage")
    }
}

/// The statuses of a request, or the error it was refused with.
func outcome(_ provider: CallbackProvider, _ request: CallbackRequest, settings: CallbackSettings = Secrets.all) -> Result<[ProviderStatus], CallbackError> {
    Result { () throws(CallbackError) in try ProviderCallbacks.statuses(provider: provider, request: request, settings: settings) }
}

extension Result {
    var value: Success? { if case .success(let v) = self { v } else { nil } }
    var error: Failure? { if case .failure(let e) = self { e } else { nil } }
}

extension CallbackError {
    var isUnauthenticated: Bool { if case .unauthenticated = self { true } else { false } }
    var isMalformed: Bool { if case .malformed = self { true } else { false } }
}
