import Crypto
import Foundation

/// Provider webhooks as each provider sends them, built from the providers' documentation (not
/// from the ledger's event JSON), and signed here independently of the server's code.
enum Providers {
    static let metaAppSecret = "meta-app-secret-for-tests"
    static let twilioAuthToken = "twilio-auth-token-for-tests"
    static let twilioBase = "https://hooks.example.com/ledger"
    static let infobipToken = "infobip-token-for-tests"
    static let vonageSecret = "vonage-signature-secret-for-tests-32b"

    /// The `--providers FILE` of http.md §1 with every provider configured.
    static let settings = """
        {"meta": {"appSecret": "\(metaAppSecret)"},
         "twilio": {"authToken": "\(twilioAuthToken)", "publicBaseUrl": "\(twilioBase)"},
         "infobip": {"token": "\(infobipToken)"},
         "vonage": {"signatureSecret": "\(vonageSecret)"}}
        """

    /// `CAMPAIGN/CONTACT/ATTEMPT`, each part percent-encoded.
    static func correlation(_ campaign: String, _ contact: String, _ attempt: Int? = nil) -> String {
        let parts = [campaign, contact] + (attempt.map { [String($0)] } ?? [])
        return parts.map { $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }.joined(separator: "/")
    }
}

// MARK: Meta (WhatsApp Cloud API)

enum Meta {
    struct Status {
        var id: String
        var status: String
        var timestamp: Int
        var correlation: String? = nil
        var errorCode: Int? = nil
        var errorTitle: String? = nil
    }

    static func status(_ s: Status) -> String {
        var fields = [
            #""id":"\#(s.id)""#, #""status":"\#(s.status)""#, #""timestamp":"\#(s.timestamp)""#,
            #""recipient_id":"420601234567""#,
        ]
        if s.status == "sent" || s.status == "delivered" {
            fields.append(#""conversation":{"id":"CONVERSATION_ID","origin":{"type":"marketing"}},"pricing":{"billable":true,"pricing_model":"CBP","category":"marketing"}"#)
        }
        if let c = s.correlation { fields.append(#""biz_opaque_callback_data":"\#(c)""#) }
        if let code = s.errorCode {
            fields.append(#""errors":[{"code":\#(code),"title":"\#(s.errorTitle ?? "Error")","message":"\#(s.errorTitle ?? "Error")","error_data":{"details":"Message failed to send."}}]"#)
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// `entry[].changes[].value.statuses[]`: one change per group of statuses.
    static func body(_ groups: [[Status]]) -> String {
        let changes = groups.map { statuses in
            #"{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},"statuses":[\#(statuses.map(status).joined(separator: ","))]},"field":"messages"}"#
        }
        return #"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[\#(changes.joined(separator: ","))]}]}"#
    }

    /// An inbound message; with `replyTo`, a reply to that message (`context.id`).
    static func inbound(id: String, replyTo: String?, timestamp: Int) -> String {
        let context = replyTo.map { #","context":{"from":"15550001111","id":"\#($0)"}"# } ?? ""
        return #"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Jana"},"wa_id":"420601234567"}],"messages":[{"from":"420601234567","id":"\#(id)","timestamp":"\#(timestamp)","type":"text","text":{"body":"Thanks!"}\#(context)}]},"field":"messages"}]}]}"#
    }

    /// `X-Hub-Signature-256: sha256=HEX` of the raw body with the app secret.
    static func signature(_ body: String, secret: String = Providers.metaAppSecret) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }
}

// MARK: Twilio (Messaging StatusCallback)

enum Twilio {
    /// The form Twilio posts for a status, in the order it sends the parameters.
    static func form(sid: String, status: String, errorCode: String? = nil, rawDlrDoneDate: String? = nil) -> [(String, String)] {
        var p: [(String, String)] = [
            ("SmsSid", sid), ("SmsStatus", status), ("MessageStatus", status), ("To", "+420601234567"),
            ("MessageSid", sid), ("AccountSid", "AC0123456789abcdef0123456789abcdef"), ("From", "+15550001111"),
            ("ApiVersion", "2010-04-01"),
        ]
        if let errorCode { p.append(("ErrorCode", errorCode)) }
        if let rawDlrDoneDate { p.append(("RawDlrDoneDate", rawDlrDoneDate)) }
        return p
    }

    static func encode(_ params: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return params.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
    }

    /// The path and query the server is called at: correlation in `campaign`, `contact`, `attempt`.
    static func path(campaign: String? = nil, contact: String? = nil, attempt: Int? = nil) -> String {
        var query: [(String, String)] = []
        if let campaign { query.append(("campaign", campaign)) }
        if let contact { query.append(("contact", contact)) }
        if let attempt { query.append(("attempt", String(attempt))) }
        return "/v1/callbacks/twilio" + (query.isEmpty ? "" : "?" + encode(query))
    }

    /// `X-Twilio-Signature`: base64 HMAC-SHA1 of the full URL Twilio called followed by the POST
    /// parameters sorted by name, each name followed by its value, keyed with the auth token.
    static func signature(path: String, params: [(String, String)], token: String = Providers.twilioAuthToken) -> String {
        var text = Providers.twilioBase + path
        for (k, v) in params.sorted(by: { $0.0 < $1.0 }) { text += k + v }
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: Data(token.utf8)))
        return Data(mac).base64EncodedString()
    }
}

// MARK: Infobip (delivery reports, seen reports)

enum Infobip {
    static let groups: [String: (groupId: Int, id: Int, name: String)] = [
        "PENDING": (1, 7, "PENDING_ENROUTE"),
        "UNDELIVERABLE": (2, 9, "UNDELIVERABLE_NOT_DELIVERED"),
        "DELIVERED": (3, 5, "DELIVERED_TO_HANDSET"),
        "EXPIRED": (4, 15, "EXPIRED_EXPIRED"),
        "REJECTED": (5, 6, "REJECTED_NETWORK"),
    ]

    static func report(messageId: String, group: String, doneAt: String, callbackData: String? = nil, errorId: Int = 0, errorName: String = "NO_ERROR") -> String {
        let g = groups[group]!
        let cb = callbackData.map { #","callbackData":"\#($0)""# } ?? ""
        return #"{"bulkId":"BULK-1","messageId":"\#(messageId)","to":"420601234567","sentAt":"2026-01-05T09:30:00.000+0000","doneAt":"\#(doneAt)","smsCount":1,"mccMnc":"null","price":{"pricePerMessage":0.0,"currency":"EUR"},"status":{"groupId":\#(g.groupId),"groupName":"\#(group)","id":\#(g.id),"name":"\#(g.name)","description":"\#(g.name)"},"error":{"groupId":0,"groupName":"OK","id":\#(errorId),"name":"\#(errorName)","description":"\#(errorName)","permanent":false}\#(cb)}"#
    }

    static func seen(messageId: String, seenAt: String, callbackData: String? = nil) -> String {
        let cb = callbackData.map { #","callbackData":"\#($0)""# } ?? ""
        return #"{"messageId":"\#(messageId)","from":"447491163443","to":"420601234567","sentAt":"2026-01-05T09:30:00.000+0000","seenAt":"\#(seenAt)"\#(cb)}"#
    }

    static func body(_ results: [String]) -> String { #"{"results":[\#(results.joined(separator: ","))]}"# }

    static var bearer: String { "Bearer \(Providers.infobipToken)" }
    static var basic: String { "Basic " + Data("ledger:\(Providers.infobipToken)".utf8).base64EncodedString() }
}

// MARK: Vonage (Messages API status webhook)

enum Vonage {
    static func status(uuid: String, status: String, timestamp: String, clientRef: String? = nil, errorTitle: String? = nil, errorDetail: String? = nil) -> String {
        var fields = [
            #""message_uuid":"\#(uuid)""#, #""to":"420601234567""#, #""from":"15550001111""#,
            #""timestamp":"\#(timestamp)""#, #""status":"\#(status)""#, #""channel":"whatsapp""#,
        ]
        if let clientRef { fields.append(#""client_ref":"\#(clientRef)""#) }
        if let errorTitle {
            fields.append(#""error":{"type":"https://developer.vonage.com/api-errors/messages#\#(errorTitle)","title":"\#(errorTitle)","detail":"\#(errorDetail ?? "")","instance":"bf0ca0bf-927b-3b52-e3f1-2b9d9b0a7f1e"}"#)
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// `Authorization: Bearer JWT`: HS256 with the signature secret, `payload_hash` the hex
    /// SHA-256 of the body.
    static func authorization(_ body: String, secret: String = Providers.vonageSecret, hash: String? = nil) -> String {
        func base64url(_ d: Data) -> String {
            d.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        let digest = hash ?? SHA256.hash(data: Data(body.utf8)).map { String(format: "%02x", $0) }.joined()
        let header = base64url(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let payload = base64url(Data(#"{"iat":1767605460,"jti":"\#(UUID().uuidString)","iss":"Vonage","payload_hash":"\#(digest)","api_key":"a1b2c3d4","application_id":"aaaaaaaa-bbbb-cccc-dddd-0123456789ab"}"#.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(header).\(payload)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "Bearer \(header).\(payload).\(base64url(Data(mac)))"
    }
}

enum SHA256Hex {
    static func of(_ text: String) -> String { SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined() }
}
