extension Event {
    /// An event with `at` given as RFC 3339 text (e.g. `2026-11-20T09:30:02Z`), checked and
    /// converted to its instant. Throws `InputError` for a time that is not RFC 3339.
    public init(
        _ type: EventType, campaign: String, at: String, id: String? = nil, contact: String? = nil,
        channel: Channel? = nil, name: String? = nil, address: String? = nil,
        status: ContactState? = nil, attempt: Int? = nil, code: String? = nil, reason: String? = nil,
        providerRef: String? = nil, actor: String? = nil
    ) throws {
        let nanos: Int64
        do {
            nanos = try RFC3339.parseNanos(at)
        } catch {
            throw InputError(field: "at", message: "not an RFC 3339 time like 2026-11-20T09:30:02Z")
        }
        self.init(
            type: type, campaign: campaign, at: at, atNanos: nanos, id: id, contact: contact,
            channel: channel, name: name, address: address, status: status, attempt: attempt,
            code: code, reason: reason, providerRef: providerRef, actor: actor)
    }

    /// Parses one event from a JSON object in the interchange format (interchange.md §1), with
    /// every rule `ledger import` applies to a line. Throws `InputError` naming the field.
    public init(json: String) throws {
        guard let parsed = try EventLineParser.parse(Array(json.utf8)) else {
            throw InputError(field: "line", message: "empty: give one JSON object")
        }
        self = parsed.event
    }
}
