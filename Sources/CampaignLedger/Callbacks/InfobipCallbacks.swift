/// Infobip delivery reports (`results[]` with `status{groupName, id, name}`) and seen reports
/// (`results[]` with `seenAt`), sent to the same URL.
enum InfobipCallbacks {
    struct Payload: Decodable { var results: [Result] }
    struct Result: Decodable {
        var messageId: String?
        var status: Status?
        var error: Failure?
        var doneAt: String?
        var seenAt: String?
        var callbackData: String?
    }
    struct Status: Decodable {
        var groupName: String?
        var id: Int?
        var name: String?
    }
    struct Failure: Decodable {
        var id: Int?
        var name: String?
    }

    static func statuses(_ body: [UInt8], bodySHA256: String) throws(CallbackError) -> [ProviderStatus] {
        let payload = try ProviderCallbacks.decode(Payload.self, body, .infobip, expected: #"an Infobip report ({"results":[…]})"#)
        return payload.results.map { r in
            let correlation = CallbackFields.correlation(r.callbackData)
            if r.status == nil, r.seenAt != nil {
                return ProviderCallbacks.status(
                    .infobip, messageID: r.messageId, correlation: correlation, value: "SEEN", code: nil,
                    providerStatus: "SEEN", reason: nil, at: CallbackFields.fromInfobip(r.seenAt),
                    dedupe: [r.messageId, "SEEN"], bodySHA256: bodySHA256)
            }
            // Infobip reports "no error" as error id 0 (`NO_ERROR`): not a code.
            let failure = r.error.flatMap { ($0.id ?? 0) == 0 ? nil : $0 }
            return ProviderCallbacks.status(
                .infobip, messageID: r.messageId, correlation: correlation, value: r.status?.groupName,
                code: failure?.id.map(String.init), providerStatus: r.status?.name ?? r.status?.groupName,
                reason: failure?.name, at: CallbackFields.fromInfobip(r.doneAt),
                dedupe: [r.messageId, r.status?.id.map(String.init)], bodySHA256: bodySHA256)
        }
    }
}
