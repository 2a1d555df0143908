public import Foundation

/// The provider callback adapters: a webhook request as the provider sent it in, its statuses in
/// the ledger's terms out (http.md §3). Pure: they check and read, the ledger stores
/// (`ProviderStatus` → a `contact.status` event, or parked).
public enum ProviderCallbacks {
    /// Checks the request's signature or token against `settings`, then reads its statuses.
    ///
    /// - Parameter receivedAt: when given, the `at` of statuses whose payload has no time of its
    ///   own (Twilio without `RawDlrDoneDate`); nil leaves those `at` nil for the ledger to fill.
    ///   The event id never depends on it.
    /// - Throws: `.notConfigured` (404), `.unauthenticated` (401), `.malformed` (400).
    public static func statuses(
        provider: CallbackProvider, request: CallbackRequest, settings: CallbackSettings, receivedAt: Date? = nil
    ) throws(CallbackError) -> [ProviderStatus] {
        let secrets = settings.secrets(provider)
        guard !secrets.isEmpty else { throw .notConfigured(provider) }
        // Any of the secrets (more than one only while one is rotated); the first one's error.
        var refusal: CallbackError?
        check: for secret in secrets {
            do throws(CallbackError) {
                switch provider {
                case .meta:
                    try CallbackAuthentication.meta(request, appSecret: secret)
                case .twilio:
                    let form = try TwilioCallbacks.form(request)
                    try CallbackAuthentication.twilio(request, form: form, authToken: secret, publicBaseUrl: settings.twilio?.publicBaseUrl)
                case .infobip:
                    try CallbackAuthentication.infobip(request, token: secret)
                case .vonage:
                    try CallbackAuthentication.vonage(request, signatureSecret: secret)
                }
                refusal = nil
                break check
            } catch {
                if case .malformed = error { throw error }
                refusal = refusal ?? error
            }
        }
        if let refusal { throw refusal }
        return try unauthenticatedStatuses(provider: provider, request: request, receivedAt: receivedAt)
    }

    /// Reads the statuses of a request **without** checking its authenticity: for payloads
    /// captured and checked elsewhere (`ledger callbacks import`), never for a live webhook.
    public static func unauthenticatedStatuses(
        provider: CallbackProvider, request: CallbackRequest, receivedAt: Date? = nil
    ) throws(CallbackError) -> [ProviderStatus] {
        let bodySHA256 = CallbackFields.bodySHA256(request.body)
        var out: [ProviderStatus]
        switch provider {
        case .meta: out = try MetaCallbacks.statuses(request.body, bodySHA256: bodySHA256)
        case .twilio: out = try TwilioCallbacks.statuses(request, bodySHA256: bodySHA256)
        case .infobip: out = try InfobipCallbacks.statuses(request.body, bodySHA256: bodySHA256)
        case .vonage: out = try VonageCallbacks.statuses(request.body, bodySHA256: bodySHA256)
        }
        if let receivedAt {
            let text = CallbackFields.format(receivedAt)
            for k in out.indices where out[k].at == nil { out[k].at = text }
        }
        return out
    }

    /// Decodes a JSON body into `T`, or `.malformed` naming the provider's format.
    static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8], _ provider: CallbackProvider, expected: String) throws(CallbackError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch {
            throw .malformed("\(provider.rawValue) callback body is not \(expected): post the provider's payload unchanged (docs/callbacks.md)")
        }
    }

    /// A status mapped with `mapping`, with the problems of a missing id or an unknown value.
    static func status(
        _ mapping: CallbackMapping, messageID: String?, correlation: Correlation?, value: String?, code: String?,
        providerStatus: String?, reason: String?, at: String?, dedupe: [String?], bodySHA256: String
    ) -> ProviderStatus {
        let messageID = messageID.flatMap { $0.isEmpty ? nil : $0 }
        var problem: String?
        var state: ContactState?
        if let value, !value.isEmpty {
            state = mapping.state(for: value, code: code)
            if state == nil { problem = mapping.unknown(value) }
        } else {
            problem = "\(mapping.provider.rawValue) callback item without a \(mapping.valueName): parked"
        }
        if messageID == nil {
            problem = "\(mapping.provider.rawValue) callback item without a message id: parked, it can never be tied to a contact"
                + (problem.map { "; also " + $0 } ?? "")
        }
        var out = ProviderStatus(
            provider: mapping.provider, messageID: messageID, correlation: correlation, status: state,
            providerStatus: providerStatus ?? value ?? "", code: code, reason: reason, at: at,
            eventID: CallbackFields.eventID(mapping.provider, dedupe), problem: problem, bodySHA256: bodySHA256)
        if messageID != nil, out.recordableRef == nil {
            out.problem = "\(mapping.provider.rawValue) callback item whose message id is not a valid providerRef (1–256 bytes, no control characters): parked, it can never be tied to a contact"
                + (problem.map { "; also " + $0 } ?? "")
        }
        return out
    }
}
