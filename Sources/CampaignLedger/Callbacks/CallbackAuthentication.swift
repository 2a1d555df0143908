import Crypto
import Foundation

/// The authenticity checks of http.md §3, with swift-crypto's MACs (their
/// `isValidAuthenticationCode` compares in constant time). Each throws `.unauthenticated` with a
/// line saying what was wrong and what to check.
enum CallbackAuthentication {
    /// Meta: `X-Hub-Signature-256: sha256=<hex>` = HMAC-SHA256 of the raw body, keyed with the
    /// app secret.
    static func meta(_ request: CallbackRequest, appSecret: String) throws(CallbackError) {
        guard let header = request.header("X-Hub-Signature-256") else {
            throw .unauthenticated("meta callback without X-Hub-Signature-256: send it as Meta does, signed with the app secret")
        }
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.lowercased().hasPrefix("sha256="), let mac = Hex.decode(String(text.dropFirst(7))),
            HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: request.body, using: key(appSecret))
        else {
            throw .unauthenticated("meta callback with a wrong X-Hub-Signature-256: check meta.appSecret in the providers file (the app secret of the Meta app)")
        }
    }

    /// The URL Twilio signed: `publicBaseUrl` + `/v1/callbacks/twilio` + the request's query when
    /// configured; else the request's own URL, made absolute as `http://` + `Host` when it is a
    /// path (behind TLS termination or a proxy, configure `publicBaseUrl`).
    static func twilioURL(_ request: CallbackRequest, publicBaseUrl: String?) -> String {
        if let publicBaseUrl { return publicBaseUrl + "/v1/callbacks/twilio" + request.queryPart }
        if request.url.hasPrefix("http://") || request.url.hasPrefix("https://") { return request.url }
        return "http://" + (request.header("Host") ?? "") + request.url
    }

    /// Twilio: `X-Twilio-Signature` = base64 HMAC-SHA1, keyed with the auth token, of the full URL
    /// followed by every POST parameter sorted by name (then value), name immediately followed by
    /// value.
    static func twilio(
        _ request: CallbackRequest, form: [(name: String, value: String)], authToken: String, publicBaseUrl: String?
    ) throws(CallbackError) {
        guard let header = request.header("X-Twilio-Signature") else {
            throw .unauthenticated("twilio callback without X-Twilio-Signature: send it as Twilio does, signed with the auth token")
        }
        let url = twilioURL(request, publicBaseUrl: publicBaseUrl)
        var signed = Array(url.utf8)
        for (name, value) in form.sorted(by: { ($0.name, $0.value) < ($1.name, $1.value) }) {
            signed += Array(name.utf8)
            signed += Array(value.utf8)
        }
        guard let mac = Data(base64Encoded: header.trimmingCharacters(in: .whitespaces)),
            HMAC<Insecure.SHA1>.isValidAuthenticationCode(mac, authenticating: signed, using: key(authToken))
        else {
            throw .unauthenticated("twilio callback with a wrong X-Twilio-Signature for \(url): check twilio.authToken and, behind a proxy, twilio.publicBaseUrl in the providers file")
        }
    }

    /// Infobip (no signature): `Authorization: Bearer TOKEN`, or basic auth whose password is the
    /// token (any user name).
    static func infobip(_ request: CallbackRequest, token: String) throws(CallbackError) {
        let fix = "check infobip.token in the providers file and the Authorization header set in Infobip's webhook settings"
        guard let header = request.header("Authorization") else {
            throw .unauthenticated("infobip callback without Authorization: configure Infobip to send Bearer TOKEN or basic auth with the token as password")
        }
        let given: String
        if let bearer = scheme("Bearer", of: header) {
            given = bearer
        } else if let basic = scheme("Basic", of: header), let data = Data(base64Encoded: basic),
            let pair = String(data: data, encoding: .utf8), let colon = pair.firstIndex(of: ":")
        {
            given = String(pair[pair.index(after: colon)...])
        } else {
            throw .unauthenticated("infobip callback with an Authorization that is neither Bearer nor Basic: \(fix)")
        }
        // Compare MACs of both under one fresh key: constant time in the token's content.
        let probe = SymmetricKey(size: .bits256)
        let expected = HMAC<SHA256>.authenticationCode(for: Array(token.utf8), using: probe)
        guard HMAC<SHA256>.isValidAuthenticationCode(expected, authenticating: Array(given.utf8), using: probe) else {
            throw .unauthenticated("infobip callback with a wrong token: \(fix)")
        }
    }

    /// Vonage: `Authorization: Bearer <JWT>`, HS256 over `header.payload` with the signature
    /// secret, and its `payload_hash` claim the hex SHA-256 of the body.
    static func vonage(_ request: CallbackRequest, signatureSecret: String) throws(CallbackError) {
        let fix = "check vonage.signatureSecret in the providers file (the signature secret of the Vonage account)"
        guard let header = request.header("Authorization"), let token = scheme("Bearer", of: header) else {
            throw .unauthenticated("vonage callback without Authorization: Bearer JWT: enable signed webhooks for the application")
        }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let head = base64URL(parts[0]), let payload = base64URL(parts[1]),
            let signature = base64URL(parts[2])
        else { throw .unauthenticated("vonage callback whose bearer token is not a JWT: \(fix)") }
        guard let headJSON = try? JSONSerialization.jsonObject(with: head) as? [String: Any],
            headJSON["alg"] as? String == "HS256"
        else { throw .unauthenticated("vonage callback whose JWT is not signed HS256: only HS256 with the signature secret is accepted") }
        let signed = Array("\(parts[0]).\(parts[1])".utf8)
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signed, using: key(signatureSecret)) else {
            throw .unauthenticated("vonage callback with a wrong JWT signature: \(fix)")
        }
        guard let claims = try? JSONSerialization.jsonObject(with: payload) as? [String: Any],
            let hash = claims["payload_hash"] as? String
        else { throw .unauthenticated("vonage callback whose JWT has no payload_hash claim: \(fix)") }
        guard hash.lowercased() == CallbackFields.bodySHA256(request.body) else {
            throw .unauthenticated("vonage callback whose body does not match the JWT's payload_hash: the body was changed on the way")
        }
    }

    private static func key(_ secret: String) -> SymmetricKey { SymmetricKey(data: Array(secret.utf8)) }

    /// The credentials after `name ` in an Authorization value (scheme compared case-insensitively).
    private static func scheme(_ name: String, of header: String) -> String? {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.count > name.count + 1, text.prefix(name.count).lowercased() == name.lowercased(),
            text.dropFirst(name.count).first == " "
        else { return nil }
        return text.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
    }

    /// Unpadded base64url (RFC 7515) as bytes.
    private static func base64URL(_ s: Substring) -> Data? {
        var t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while t.count % 4 != 0 { t += "=" }
        return Data(base64Encoded: t)
    }
}
