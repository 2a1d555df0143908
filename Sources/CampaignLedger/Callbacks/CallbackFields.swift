import Foundation

/// The pieces every adapter derives the same way: event ids, the body hash, correlation data and
/// provider times as RFC 3339.
enum CallbackFields {
    /// `cb-<provider>-` + lowercase hex of the first 16 bytes of SHA-256 over the dedupe `parts`
    /// joined by a 0x00 byte (an absent part is empty). Always a valid event id (domain.md §5:
    /// ≤ 128 bytes, no control characters), and equal exactly when the dedupe key is.
    static func eventID(_ provider: CallbackProvider, _ parts: [String?]) -> String {
        var bytes: [UInt8] = []
        for (k, part) in parts.enumerated() {
            if k > 0 { bytes.append(0) }
            bytes += Array((part ?? "").utf8)
        }
        return "cb-\(provider.rawValue)-" + Hex.encode(SHA256Digest.hash(bytes).prefix(16))
    }

    /// Lowercase hex SHA-256 of the raw body.
    static func bodySHA256(_ body: [UInt8]) -> String {
        Hex.encode(SHA256Digest.hash(body))
    }

    /// `CAMPAIGN/CONTACT/ATTEMPT` (attempt optional), each part percent-decoded; nil when it is
    /// not that shape or a part is not a valid id or attempt (then the ledger uses its index).
    static func correlation(_ text: String?) -> Correlation? {
        guard let text else { return nil }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3 else { return nil }
        let decoded = parts.map { String($0).removingPercentEncoding }
        return correlation(campaign: decoded[0], contact: decoded[1], attempt: parts.count == 3 ? (decoded[2] ?? "") : nil)
    }

    /// Correlation from separate, already decoded parts (Twilio's query parameters).
    static func correlation(campaign: String?, contact: String?, attempt: String?) -> Correlation? {
        guard let campaign, let contact, EventField.campaign.accepts(campaign), EventField.contact.accepts(contact) else { return nil }
        guard let attempt else { return Correlation(campaign: campaign, contact: contact) }
        guard attempt.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), attempt.utf8.count <= 7, let n = Int(attempt),
            (1...1_000_000).contains(n)
        else { return nil }
        return Correlation(campaign: campaign, contact: contact, attempt: n)
    }

    /// A time text accepted as is when the ledger's parser accepts it.
    static func rfc3339(_ text: String?) -> String? {
        guard let text, (try? RFC3339.parseNanos(text)) != nil else { return nil }
        return text
    }

    /// Unix seconds (Meta's `timestamp`, a decimal string) as `YYYY-MM-DDTHH:MM:SSZ`.
    static func fromUnixSeconds(_ text: String?) -> String? {
        guard let text, !text.isEmpty, text.utf8.count <= 12, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let seconds = Int(text)
        else { return nil }
        let (days, second) = (seconds / 86_400, seconds % 86_400)
        let date = RFC3339.civilFromDays(days)
        return rfc3339(utc(date.year, date.month, date.day, second / 3600, second / 60 % 60, second % 60))
    }

    /// Twilio's `RawDlrDoneDate`, `YYMMDDhhmm` without a zone (UTC, years 20YY), as RFC 3339.
    static func fromTwilioDoneDate(_ text: String?) -> String? {
        guard let text, text.utf8.count == 10, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let d = Array(text.utf8).map { Int($0 - 0x30) }
        func two(_ k: Int) -> Int { d[k] * 10 + d[k + 1] }
        return rfc3339(utc(2000 + two(0), two(2), two(4), two(6), two(8), 0))
    }

    /// Infobip's `yyyy-MM-dd'T'HH:mm:ss.SSSZ` (an offset like `+0000`) as RFC 3339: `Z` for UTC,
    /// as every other provider's time, else the offset as `+hh:mm`.
    static func fromInfobip(_ text: String?) -> String? {
        guard var text else { return nil }
        if text.hasSuffix("+0000") || text.hasSuffix("-0000") { return rfc3339(text.dropLast(5) + "Z") }
        let u = Array(text.utf8)
        if u.count > 5, u[u.count - 5] == UInt8(ascii: "+") || u[u.count - 5] == UInt8(ascii: "-"),
            u[(u.count - 4)...].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        {
            text.insert(":", at: text.index(text.endIndex, offsetBy: -2))
        }
        return rfc3339(text)
    }

    private static func utc(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int) -> String {
        func pad(_ v: Int, _ w: Int) -> String {
            let t = String(v)
            return String(repeating: "0", count: max(0, w - t.count)) + t
        }
        return "\(pad(y, 4))-\(pad(mo, 2))-\(pad(d, 2))T\(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2))Z"
    }

    /// `date` as RFC 3339 UTC with milliseconds (the receive time when the provider gives none).
    static func format(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let (seconds, ms) = RFC3339.floorDivide(millis, 1000)
        let (days, second) = RFC3339.floorDivide(seconds, 86_400)
        let civil = RFC3339.civilFromDays(Int(days))
        let s = Int(second)
        var text = utc(civil.year, civil.month, civil.day, s / 3600, s / 60 % 60, s % 60)
        text.removeLast()
        let frac = String(ms)
        return text + "." + String(repeating: "0", count: 3 - frac.count) + frac + "Z"
    }
}
