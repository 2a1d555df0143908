public import Foundation

/// The secrets and settings of the provider callbacks: the `--providers FILE` JSON of http.md §1,
/// e.g. `{"meta": {"appSecret": "…"}, "twilio": {"authToken": "…", "publicBaseUrl":
/// "https://hooks.example.com"}, "infobip": {"token": "…"}, "vonage": {"signatureSecret": "…"}}`.
/// Only the providers present are configured (served); the others answer 404.
public struct CallbackSettings: Sendable, Hashable {
    /// WhatsApp Cloud API: the app secret that keys `X-Hub-Signature-256`.
    public struct Meta: Sendable, Hashable {
        public var appSecret: String
        public init(appSecret: String) { self.appSecret = appSecret }
    }

    /// Twilio: the auth token that keys `X-Twilio-Signature`, and the scheme, host and any path
    /// prefix Twilio calls (before `/v1/callbacks/twilio`), needed behind a proxy because Twilio
    /// signs the URL it called.
    public struct Twilio: Sendable, Hashable {
        public var authToken: String
        public var publicBaseUrl: String?
        public init(authToken: String, publicBaseUrl: String? = nil) {
            self.authToken = authToken
            self.publicBaseUrl = publicBaseUrl
        }
    }

    /// Infobip: the token expected as `Authorization: Bearer TOKEN` or as the basic-auth password.
    public struct Infobip: Sendable, Hashable {
        public var token: String
        public init(token: String) { self.token = token }
    }

    /// Vonage: the signature secret that signs the HS256 JWT of `Authorization: Bearer`.
    public struct Vonage: Sendable, Hashable {
        public var signatureSecret: String
        public init(signatureSecret: String) { self.signatureSecret = signatureSecret }
    }

    public var meta: Meta?
    public var twilio: Twilio?
    public var infobip: Infobip?
    public var vonage: Vonage?
    /// Secrets also accepted while one is rotated: the file gives a provider's secret as an
    /// array, `["new", "old"]`; the first is the provider's section's secret, the others are
    /// here. A callback authenticated by any of them is taken.
    public var previousSecrets: [CallbackProvider: [String]] = [:]

    public init(meta: Meta? = nil, twilio: Twilio? = nil, infobip: Infobip? = nil, vonage: Vonage? = nil) {
        self.meta = meta
        self.twilio = twilio
        self.infobip = infobip
        self.vonage = vonage
    }

    /// The providers that have a section.
    /// Every secret a provider's callbacks are checked against: its section's, then those kept
    /// during a rotation. Empty when the provider is not configured.
    public func secrets(_ provider: CallbackProvider) -> [String] {
        let primary: String? =
            switch provider {
            case .meta: meta?.appSecret
            case .twilio: twilio?.authToken
            case .infobip: infobip?.token
            case .vonage: vonage?.signatureSecret
            }
        guard let primary else { return [] }
        return [primary] + (previousSecrets[provider] ?? [])
    }

    public var configured: Set<CallbackProvider> {
        var out: Set<CallbackProvider> = []
        if meta != nil { out.insert(.meta) }
        if twilio != nil { out.insert(.twilio) }
        if infobip != nil { out.insert(.infobip) }
        if vonage != nil { out.insert(.vonage) }
        return out
    }

    /// Why a providers file cannot be used: one line naming the file, the place and the fix.
    public struct LoadError: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Reads and checks the providers file at `path`.
    public static func load(path: String) throws(LoadError) -> CallbackSettings {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw LoadError(message: "\(path): cannot read the providers file (\(error.localizedDescription)): check the path")
        }
        do throws(LoadError) {
            return try parse(data)
        } catch {
            throw LoadError(message: "\(path): \(error.message)")
        }
    }

    /// Checks and decodes the providers JSON. Unknown provider or field names are errors (they are
    /// usually typos), as is a missing or empty secret.
    public static func parse(_ json: Data) throws(LoadError) -> CallbackSettings {
        guard let top = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw LoadError(message: #"not a JSON object: write {"meta": {"appSecret": "…"}, …} (docs/callbacks.md)"#)
        }
        var settings = CallbackSettings()
        for (key, value) in top {
            guard let provider = CallbackProvider(rawValue: key) else {
                let known = CallbackProvider.allCases.map(\.rawValue).joined(separator: ", ")
                throw LoadError(message: "unknown provider \"\(key)\": the providers are \(known)")
            }
            guard let section = value as? [String: Any] else {
                throw LoadError(message: "\"\(key)\" must be an object with its secret, e.g. {\"\(secretName(provider))\": \"…\"}")
            }
            let fields = provider == .twilio ? ["authToken", "publicBaseUrl"] : [secretName(provider)]
            if let unknown = section.keys.sorted().first(where: { !fields.contains($0) }) {
                throw LoadError(message: "\"\(key)\" has an unknown field \"\(unknown)\": its fields are \(fields.joined(separator: ", "))")
            }
            let all = try secretList(section, secretName(provider), in: key)
            let secret = all[0]
            if all.count > 1 { settings.previousSecrets[provider] = Array(all.dropFirst()) }
            switch provider {
            case .meta: settings.meta = Meta(appSecret: secret)
            case .twilio:
                var base = try string(section, "publicBaseUrl", in: key, required: false)
                while base?.hasSuffix("/") == true { base?.removeLast() }
                if let base, !(base.hasPrefix("https://") || base.hasPrefix("http://")) {
                    throw LoadError(message: "\"twilio\".\"publicBaseUrl\" must start with https:// or http://, e.g. https://hooks.example.com")
                }
                settings.twilio = Twilio(authToken: secret, publicBaseUrl: base)
            case .infobip: settings.infobip = Infobip(token: secret)
            case .vonage: settings.vonage = Vonage(signatureSecret: secret)
            }
        }
        return settings
    }

    /// The name of a provider's secret in the file.
    public static func secretName(_ provider: CallbackProvider) -> String {
        switch provider {
        case .meta: "appSecret"
        case .twilio: "authToken"
        case .infobip: "token"
        case .vonage: "signatureSecret"
        }
    }

    /// A secret: a non-empty string, or during a rotation a non-empty array of them (the new
    /// one first).
    private static func secretList(_ section: [String: Any], _ name: String, in key: String) throws(LoadError) -> [String] {
        if let list = section[name] as? [Any] {
            let texts = list.compactMap { $0 as? String }.filter { !$0.isEmpty }
            guard !texts.isEmpty, texts.count == list.count else {
                throw LoadError(message: "\"\(key)\".\"\(name)\" must be a non-empty string, or during a rotation an array of them, new first: [\"new\", \"old\"]")
            }
            return texts
        }
        return [try string(section, name, in: key, required: true)!]
    }

    private static func string(_ section: [String: Any], _ name: String, in key: String, required: Bool) throws(LoadError) -> String? {
        guard let value = section[name] else {
            if required { throw LoadError(message: "\"\(key)\" has no \"\(name)\": add the secret from the provider's console") }
            return nil
        }
        guard let text = value as? String, !text.isEmpty else {
            throw LoadError(message: "\"\(key)\".\"\(name)\" must be a non-empty string")
        }
        return text
    }
}
