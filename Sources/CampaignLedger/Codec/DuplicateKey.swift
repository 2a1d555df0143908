/// Content identity of events (domain.md §5, interchange.md §2): whether a re-delivered event is
/// the one already stored, and the deterministic id of an import line given without `id`.
package enum DuplicateKey {
    /// Whether `new` (as parsed: only the fields its type uses, `null` removed) has the same
    /// content as the stored event: equal JSON values of every input field. Strings compare by
    /// their UTF-8 bytes (no Unicode normalization), `at` as text, `meta` as a JSON value (objects
    /// unordered, numbers by value). When `new` carries no `attempt` it matches whatever attempt
    /// was resolved for the stored event; when it does, the two must be equal.
    package static func sameContent(_ new: Event, as stored: Event) -> Bool {
        guard new.type == stored.type, new.channel == stored.channel, new.status == stored.status,
            same(new.campaign, stored.campaign), same(new.at, stored.at), same(new.id, stored.id),
            same(new.contact, stored.contact), same(new.name, stored.name),
            sameAddress(new, stored), same(new.code, stored.code),
            same(new.reason, stored.reason), same(new.providerRef, stored.providerRef),
            same(new.actor, stored.actor)
        else { return false }
        if new.attempt != nil && new.attempt != stored.attempt { return false }
        return sameMeta(new.meta, stored.meta)
    }

    /// An erased address (docs/erasure.md) cannot be compared: its salt is gone. A re-delivery of
    /// the `contact.added` it was (an import of the original file, say) is the same event, so an
    /// erased stored address matches any address, or the same digest.
    static func sameAddress(_ new: Event, _ stored: Event) -> Bool {
        if let erased = stored.erasedAddress {
            return new.erasedAddress.map { $0.digest == erased.digest } ?? true
        }
        return new.erasedAddress == nil && same(new.address, stored.address)
    }

    static func same(_ a: String?, _ b: String?) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case (let a?, let b?): a.utf8.elementsEqual(b.utf8)
        default: false
        }
    }

    /// `meta` texts compared as JSON values (identical texts need no parsing).
    static func sameMeta(_ a: String?, _ b: String?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        if a.utf8.elementsEqual(b.utf8) { return true }
        guard let ca = JSONCanonical.canonical(a), let cb = JSONCanonical.canonical(b) else { return false }
        return ca == cb
    }

    /// The canonical content of an event: a compact JSON object of its input fields (those
    /// present: `actor`, `address`, `at`, `attempt`, `campaign`, `channel`, `code`, `contact`,
    /// `id`, `meta`, `name`, `providerRef`, `reason`, `status`, `type`), members sorted by name;
    /// strings escaped only for `"`, `\` and U+0000–U+001F (`\u00xx`); `attempt` as digits;
    /// `meta` in the canonical form of `JSONCanonical` (sorted keys, numbers by value). Events
    /// with equal JSON values of these fields have equal canonical content.
    package static func canonicalContent(_ e: Event) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        func member(_ name: String, _ body: (inout [UInt8]) -> Void) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONString.appendQuoted(name.utf8, to: &out)
            out.append(UInt8(ascii: ":"))
            body(&out)
        }
        func string(_ name: String, _ value: String?) {
            guard let value else { return }
            member(name) { JSONString.appendQuoted(value.utf8, to: &$0) }
        }
        string("actor", e.actor)
        string("address", e.address)
        string("addressDigest", e.erasedAddress.map { Hex.encode($0.digest) })
        string("at", e.at)
        if let attempt = e.attempt { member("attempt") { $0.append(contentsOf: String(attempt).utf8) } }
        string("campaign", e.campaign)
        string("channel", e.channel?.rawValue)
        string("code", e.code)
        string("contact", e.contact)
        string("id", e.id)
        if let meta = e.meta {
            member("meta") { $0.append(contentsOf: JSONCanonical.canonical(meta) ?? Array(meta.utf8)) }
        }
        string("name", e.name)
        string("providerRef", e.providerRef)
        string("reason", e.reason)
        string("status", e.status?.rawValue)
        string("type", e.type.rawValue)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The id the ledger assigns to an import line given without `id` (interchange.md §2):
    ///
    ///     "imp-" + lowercase hex of the first 16 bytes of
    ///     SHA-256( canonicalContent(event) ‖ 0x0A ‖ ASCII decimal of `occurrence` )
    ///
    /// where `occurrence` is how many earlier lines of the same file have the same canonical
    /// content (0 for the first). The event is taken as parsed (no `id`; `attempt` only when the
    /// line gave it). Identical lines get distinct ids, inserting other lines changes no id, and
    /// importing the same file again repeats every id (so nothing is appended twice).
    package static func derivedID(for event: Event, occurrence: Int) -> String {
        var input = canonicalContent(event)
        input.append(0x0A)
        input.append(contentsOf: String(occurrence).utf8)
        return "imp-" + Hex.encode(SHA256Digest.hash(input).prefix(16))
    }
}
