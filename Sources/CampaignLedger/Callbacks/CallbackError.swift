/// Why a provider callback was refused as a whole. Each maps to one HTTP status of http.md §3;
/// a single status that cannot be mapped is not an error (it is parked: `ProviderStatus.problem`).
public enum CallbackError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The providers file has no section for this provider (404).
    case notConfigured(CallbackProvider)
    /// The signature or token is missing or wrong (401); nothing may be stored.
    case unauthenticated(String)
    /// The body is not the provider's format at all (400).
    case malformed(String)

    /// The HTTP status the contract gives this error.
    public var httpStatus: Int {
        switch self {
        case .notConfigured: 404
        case .unauthenticated: 401
        case .malformed: 400
        }
    }

    /// One line: what is wrong and what to do.
    public var description: String {
        switch self {
        case .notConfigured(let provider):
            "callbacks from \(provider.rawValue) are not configured: add a \"\(provider.rawValue)\" section with its secret to the providers file"
        case .unauthenticated(let message), .malformed(let message):
            message
        }
    }
}
