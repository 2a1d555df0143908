/// Vonage Messages API message status webhook: one status per request.
enum VonageCallbacks {
    struct Payload: Decodable {
        var message_uuid: String?
        var status: String?
        var timestamp: String?
        var client_ref: String?
        var error: Failure?
    }
    struct Failure: Decodable {
        /// Holds the error code (`"1330"`).
        var title: String?
        var detail: String?
    }

    static func statuses(_ body: [UInt8], bodySHA256: String) throws(CallbackError) -> [ProviderStatus] {
        let p = try ProviderCallbacks.decode(Payload.self, body, .vonage, expected: "a Vonage message status (a JSON object)")
        guard p.message_uuid != nil || p.status != nil else {
            throw .malformed("vonage callback without message_uuid or status: is this the Messages API status webhook?")
        }
        return [
            ProviderCallbacks.status(
                .vonage, messageID: p.message_uuid, correlation: CallbackFields.correlation(p.client_ref),
                value: p.status, code: p.error?.title, providerStatus: nil, reason: p.error?.detail,
                at: CallbackFields.rfc3339(p.timestamp), dedupe: [p.message_uuid, p.status], bodySHA256: bodySHA256)
        ]
    }
}
