public import Foundation

/// A provider's webhook request as it arrived, independent of any HTTP library: what the
/// adapters need to check its signature and read its statuses.
public struct CallbackRequest: Sendable {
    /// Header fields, names compared case-insensitively (`header(_:)`).
    public var headers: [(name: String, value: String)]
    /// The raw body, byte for byte (signatures are over these bytes).
    public var body: [UInt8]
    /// The request target as received: the path and query (`/v1/callbacks/twilio?campaign=c1`),
    /// or an absolute URL when the caller knows it.
    public var url: String
    /// The `Content-Type` header's value, when the caller has it apart from `headers`.
    public var contentType: String?

    public init(headers: [(name: String, value: String)] = [], body: [UInt8], url: String, contentType: String? = nil) {
        self.headers = headers
        self.body = body
        self.url = url
        self.contentType = contentType ?? headers.first { $0.name.lowercased() == "content-type" }?.value
    }

    public init(headers: [(name: String, value: String)] = [], body: Data, url: String, contentType: String? = nil) {
        self.init(headers: headers, body: [UInt8](body), url: url, contentType: contentType)
    }

    /// The first value of the header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// The query items of `url` (after `?`, before any `#`), decoded as a form is.
    var queryItems: [(name: String, value: String)] {
        guard let q = url.firstIndex(of: "?") else { return [] }
        var query = url[url.index(after: q)...]
        if let hash = query.firstIndex(of: "#") { query = query[..<hash] }
        return FormBody.pairs(String(query)) ?? []
    }

    /// The query string of `url` with its `?` (empty when there is none), fragment excluded.
    var queryPart: String {
        guard let q = url.firstIndex(of: "?") else { return "" }
        let rest = url[q...]
        return String(rest.firstIndex(of: "#").map { rest[..<$0] } ?? rest)
    }
}

/// `application/x-www-form-urlencoded` text: `name=value` pairs joined by `&`, `+` a space.
package enum FormBody {
    /// The decoded pairs in order, or nil when an escape is broken or the text is not UTF-8.
    package static func pairs(_ text: String) -> [(name: String, value: String)]? {
        var out: [(name: String, value: String)] = []
        for piece in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : "") else { return nil }
            out.append((name, value))
        }
        return out
    }

    private static func decode(_ s: Substring) -> String? {
        s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
