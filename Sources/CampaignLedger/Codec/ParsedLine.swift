/// One accepted input line: the event as it will be stored (only the fields its type uses, `null`
/// removed) and the read-only fields an export carries.
package struct ParsedLine: Sendable, Hashable {
    package var event: Event
    package var readOnly: ReadOnlyFields

    package init(event: Event, readOnly: ReadOnlyFields = ReadOnlyFields()) {
        self.event = event
        self.readOnly = readOnly
    }
}

/// The fields `ledger export` adds (interchange.md §1). On import they are format-checked and
/// otherwise ignored, except by `ledger import --restore`.
package struct ReadOnlyFields: Sendable, Hashable {
    /// An integer ≥ 1.
    package var position: UInt64?
    /// An RFC 3339 time, as given.
    package var recordedAt: String?
    /// Hex digits, as given.
    package var hash: String?
    /// Hex digits, as given (exports carry it on `contact.added`).
    package var addressSalt: String?
    /// Hex digits, as given (exports carry it on `contact.added`).
    package var addressDigest: String?
    /// Text, as given (exports carry it on a `contact.added` whose address was erased and was not
    /// dialable).
    package var addressProblem: String?

    package init(
        position: UInt64? = nil, recordedAt: String? = nil, hash: String? = nil,
        addressSalt: String? = nil, addressDigest: String? = nil
    ) {
        self.position = position
        self.recordedAt = recordedAt
        self.hash = hash
        self.addressSalt = addressSalt
        self.addressDigest = addressDigest
    }
}
