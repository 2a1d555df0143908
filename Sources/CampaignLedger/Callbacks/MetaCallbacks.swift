/// WhatsApp Cloud API webhooks (also as 360dialog forwards them): `entry[].changes[].value`
/// with `statuses[]` (delivery statuses) and `messages[]` (inbound messages; those answering a
/// message through `context.id` become `responded`).
enum MetaCallbacks {
    struct Payload: Decodable {
        var object: String
        var entry: [Entry]
    }
    struct Entry: Decodable { var changes: [Change]? }
    struct Change: Decodable { var value: Value? }
    struct Value: Decodable {
        var statuses: [Status]?
        var messages: [Message]?
    }
    struct Status: Decodable {
        var id: String?
        var status: String?
        var timestamp: String?
        var biz_opaque_callback_data: String?
        var errors: [Failure]?
    }
    struct Failure: Decodable {
        /// A number in Meta's payloads; a string is taken too.
        var code: String?
        var title: String?

        enum CodingKeys: String, CodingKey { case code, title }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            code = (try? c.decodeIfPresent(Int.self, forKey: .code)).flatMap { $0.map(String.init) }
                ?? (try? c.decodeIfPresent(String.self, forKey: .code)) ?? nil
            title = try? c.decodeIfPresent(String.self, forKey: .title)
        }
    }
    struct Message: Decodable {
        var id: String?
        var timestamp: String?
        var context: Context?
    }
    struct Context: Decodable { var id: String? }

    static func statuses(_ body: [UInt8], bodySHA256: String) throws(CallbackError) -> [ProviderStatus] {
        let payload = try ProviderCallbacks.decode(
            Payload.self, body, .meta, expected: #"a WhatsApp webhook ({"object":"whatsapp_business_account","entry":[…]})"#)
        guard payload.object == "whatsapp_business_account" else {
            throw .malformed("meta callback for object \(Echo.quoted(payload.object)): only whatsapp_business_account webhooks are taken")
        }
        let mapping = CallbackMapping.meta
        var out: [ProviderStatus] = []
        for value in payload.entry.flatMap({ $0.changes ?? [] }).compactMap(\.value) {
            for s in value.statuses ?? [] {
                let failure = s.errors?.first
                let code = failure?.code
                out.append(
                    ProviderCallbacks.status(
                        mapping, messageID: s.id, correlation: CallbackFields.correlation(s.biz_opaque_callback_data),
                        value: s.status, code: code, providerStatus: nil, reason: failure?.title,
                        at: CallbackFields.fromUnixSeconds(s.timestamp), dedupe: [s.id, s.status, code],
                        bodySHA256: bodySHA256))
            }
            for m in value.messages ?? [] {
                guard let original = m.context?.id, !original.isEmpty else { continue }
                out.append(
                    ProviderCallbacks.status(
                        mapping, messageID: original, correlation: nil, value: "message", code: nil,
                        providerStatus: nil, reason: nil, at: CallbackFields.fromUnixSeconds(m.timestamp),
                        dedupe: [m.id, "responded"], bodySHA256: bodySHA256))
            }
        }
        return out
    }
}
