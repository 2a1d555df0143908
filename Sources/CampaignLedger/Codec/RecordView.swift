#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An event record read in place (docs/format.md, "Event record"): the fixed fields decoded and
/// each string located, checked to be UTF-8 but not copied. Reading a view checks exactly what
/// `EventRecord.decode` checks (it is how `decode` reads), unless told to check only what a fold
/// reads (`Checking`); a view lets a sequential fold such as a rebuild take only the strings it
/// keeps, without materialising every event.
///
/// A view borrows `bytes`: it is valid only while they are (inside the read transaction that
/// returned them).
package struct RecordView {
    /// Where a string lies in the record; offset 0 means absent (a string never starts there).
    package struct Text: Sendable {
        var offset: UInt32
        var count: UInt32

        static let absent = Text(offset: 0, count: 0)
        var isPresent: Bool { offset != 0 }
    }

    package let bytes: UnsafeRawBufferPointer
    /// The record's version (1 or 2).
    package let version: UInt8
    /// How the id is kept (version 2 may keep `imp-`/`ev-` ids as 16 bytes).
    let idForm: EventRecord.IDForm
    package let type: EventType
    package let position: UInt64
    package let recordedAtMicros: Int64
    package let atNanos: Int64
    package private(set) var channel: Channel?
    package private(set) var status: ContactState?
    package private(set) var attempt: Int?
    /// Where each string of the record lies.
    struct Spans {
        var campaign = Text.absent
        var at = Text.absent
        var id = Text.absent
        var contact = Text.absent
        var name = Text.absent
        var address = Text.absent
        var code = Text.absent
        var reason = Text.absent
        var providerRef = Text.absent
        var actor = Text.absent
        var meta = Text.absent
    }
    private(set) var spans = Spans()
    /// Offsets of the 32-byte hash and the 16-byte address salt (0 when absent).
    private var hashOffset = 0
    private var saltOffset = 0
    /// Of an erased address (presence bit 15): the 32-byte digest's offset (0 when not erased)
    /// and the problem text (empty: the address was dialable).
    private var erasedDigestOffset = 0
    private var erasedProblem = Text.absent

    /// Which strings `init` checks to be UTF-8.
    package enum Checking: Sendable {
        /// Every string: what `EventRecord.decode` checks.
        case all
        /// Only the strings a contact's fold reads of a report about a contact (campaign, `at`,
        /// contact, address, code, reason, providerRef), when it is one (`isContactReport`); a
        /// rebuild reads every record once and needs no more (`ledger verify` checks every
        /// record whole). A view of any other record checks them all.
        case foldedTexts
    }

    package init(_ bytes: UnsafeRawBufferPointer, checking: Checking = .all) throws(RecordDecodeError) {
        typealias Bit = EventRecord.Bit
        self.bytes = bytes
        var r = RecordReader(p: bytes)
        let v = try r.byte("version")
        guard v == 1 || v == 2 else {
            throw RecordDecodeError(message: "record format version \(v), this build reads 1 and 2", offset: 0)
        }
        version = v
        r.varintLengths = v == 2
        let typeCode = try r.byte("type")
        guard let type = EventType(code: typeCode) else { throw r.error("unknown event type code \(typeCode)") }
        self.type = type
        position = try r.u64("position")
        recordedAtMicros = Int64(bitPattern: try r.u64("recordedAt"))
        hashOffset = try r.skip(32, "hash")
        atNanos = Int64(bitPattern: try r.u64("atNanos"))
        let presence = UInt16(try r.byte("presence")) << 8 | UInt16(try r.byte("presence"))
        guard presence & ~(v == 2 ? EventRecord.knownBitsV2 : EventRecord.knownBits) == 0 else {
            throw r.error("unknown presence bits \(presence)")
        }
        func has(_ bit: Bit) -> Bool { presence & bit.mask != 0 }
        guard let form = EventRecord.IDForm(rawValue: (presence & EventRecord.idFormMask) >> EventRecord.idFormShift),
            form == .text || has(.id)
        else { throw r.error("unknown id form in presence bits \(presence)") }
        idForm = form
        // Whether the strings a contact's fold does not read are checked too.
        let checkAll = checking == .all || !(type.isContactEvent && has(.contact))
        spans.campaign = try r.text("campaign")
        spans.at = try r.text("at")
        if has(.id) {
            if form == .text {
                spans.id = try r.text("id", check: checkAll)
                if v == 2, EventRecord.IDForm.compact(String(decoding: raw(spans.id), as: UTF8.self)) != nil {
                    throw r.error("an id of a compact form kept as text")
                }
            } else {
                let at = try r.skip(16, "id")
                spans.id = Text(offset: UInt32(at), count: 16)
            }
        }
        if has(.contact) { spans.contact = try r.text("contact") }
        if has(.channel) {
            let c = try r.byte("channel")
            guard let channel = EventRecord.channel(code: c) else { throw r.error("unknown channel code \(c)") }
            self.channel = channel
        }
        if has(.name) { spans.name = try r.text("name", check: checkAll) }
        if has(.address) { spans.address = try r.text("address") }
        if has(.status) {
            let c = try r.byte("status")
            guard let status = ContactState(code: c) else { throw r.error("unknown status code \(c)") }
            self.status = status
        }
        if has(.attempt) { attempt = Int(v == 2 ? try r.varint32("attempt") : try r.u32("attempt")) }
        if has(.code) { spans.code = try r.text("code") }
        if has(.reason) { spans.reason = try r.text("reason") }
        if has(.providerRef) { spans.providerRef = try r.text("providerRef") }
        if has(.actor) { spans.actor = try r.text("actor", check: checkAll) }
        if has(.meta) { spans.meta = try r.text("meta", check: checkAll) }
        if has(.addressSalt) { saltOffset = try r.skip(16, "addressSalt") }
        if presence & EventRecord.erasedBit != 0 {
            guard type == .contactAdded, !has(.address), !has(.addressSalt) else {
                throw r.error("an erased address on a record that is not a contact.added without address")
            }
            erasedDigestOffset = try r.skip(32, "erased address digest")
            erasedProblem = try r.text("erased address problem")
        }
        guard r.i == bytes.count else { throw r.error("\(bytes.count - r.i) unexpected bytes after the record") }
    }

    /// The contact id's bytes of a record, found without reading the rest of it; nil when the
    /// record has no contact, or is malformed (then `init` says what is wrong). A fold of a share
    /// of the contacts skips the other shares' records with this.
    package static func contactBytes(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        var r = RecordReader(p: bytes)
        do {
            let version = try r.byte("version")
            guard version == 1 || version == 2 else { return nil }
            r.varintLengths = version == 2
            _ = try r.skip(57, "header")  // type, position, recordedAt, hash, atNanos
            let presence = UInt16(try r.byte("presence")) << 8 | UInt16(try r.byte("presence"))
            guard presence & EventRecord.Bit.contact.mask != 0 else { return nil }
            _ = try r.text("campaign", check: false)
            _ = try r.text("at", check: false)
            if presence & EventRecord.Bit.id.mask != 0 {
                if presence & EventRecord.idFormMask != 0 {
                    _ = try r.skip(16, "id")
                } else {
                    _ = try r.text("id", check: false)
                }
            }
            let contact = try r.text("contact", check: false)
            return UnsafeRawBufferPointer(rebasing: bytes[Int(contact.offset)..<Int(contact.offset + contact.count)])
        } catch {
            return nil
        }
    }

    /// The bytes of a string of the record (empty when absent).
    @inline(__always)
    func raw(_ t: Text) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[Int(t.offset)..<Int(t.offset + t.count)])
    }

    /// A string of the record as a `String`, or nil when absent.
    @inline(__always)
    func string(_ t: Text) -> String? {
        t.isPresent ? String(decoding: raw(t), as: UTF8.self) : nil
    }

    /// Whether the record's id is `other` (UTF-8 bytes).
    func idEquals(_ other: UnsafeRawBufferPointer) -> Bool {
        if idForm == .text { return equals(spans.id, other) }
        return spans.id.isPresent && idString().map { $0.utf8.elementsEqual(other) } == true
    }

    /// The record's id, rendered from its compact form where it has one; nil when absent.
    func idString() -> String? {
        guard spans.id.isPresent else { return nil }
        return idForm == .text ? string(spans.id) : idForm.render(raw(spans.id))
    }

    /// Whether a string of the record equals `other`'s bytes.
    @inline(__always)
    func equals(_ t: Text, _ other: UnsafeRawBufferPointer) -> Bool {
        t.isPresent && Int(t.count) == other.count
            && (other.isEmpty || memcmp(bytes.baseAddress! + Int(t.offset), other.baseAddress!, other.count) == 0)
    }

    package var hash: [UInt8] { Array(bytes[hashOffset..<hashOffset + 32]) }

    /// What is left of an erased address (nil when the record's address was not erased).
    package var erasedAddress: ErasedAddress? {
        guard erasedDigestOffset != 0 else { return nil }
        let problem = string(erasedProblem) ?? ""
        return ErasedAddress(
            digest: Array(bytes[erasedDigestOffset..<erasedDigestOffset + 32]), problem: problem.isEmpty ? nil : problem)
    }
    package var hasContact: Bool { spans.contact.isPresent }
    package var hasProviderRef: Bool { spans.providerRef.isPresent }

    /// The message id's bytes of a `contact.status` that records one for a contact; nil otherwise.
    package var providerRefKey: UnsafeRawBufferPointer? {
        guard type == .contactStatus, spans.providerRef.isPresent, spans.contact.isPresent else { return nil }
        return raw(spans.providerRef)
    }

    /// For a `contact.status` with a message id: its value in a build's `providerRef` index
    /// (`ProviderRefs.encode` of campaign, contact and attempt), made from the bytes in place.
    func providerRefValue() -> [UInt8] {
        ProviderRefs.encode(campaign: raw(spans.campaign), contact: raw(spans.contact), attempt: attempt ?? 1)
    }
    /// Whether the record is a report about a contact (`contact.added`, `contact.removed`,
    /// `contact.status`), which a contact's fold reads in place.
    package var isContactReport: Bool { type.isContactEvent && hasContact }

    /// The whole event, every string copied.
    package func event() -> Event {
        var event = Event(
            type: type, campaign: string(spans.campaign) ?? "", at: string(spans.at) ?? "", atNanos: atNanos,
            id: idString(), contact: string(spans.contact), channel: channel, name: string(spans.name),
            address: string(spans.address), status: status, attempt: attempt, code: string(spans.code),
            reason: string(spans.reason), providerRef: string(spans.providerRef), actor: string(spans.actor),
            meta: string(spans.meta))
        event.erasedAddress = erasedAddress
        return event
    }

    /// The recorded event, every string copied.
    package func recorded() -> RecordedEvent {
        RecordedEvent(
            position: position, recordedAtMicros: recordedAtMicros, event: event(),
            addressSalt: saltOffset == 0 ? nil : Array(bytes[saltOffset..<saltOffset + 16]), hash: hash)
    }
}

/// A record read in place is a report a contact's fold can apply; each text is copied when
/// the fold asks for it (and only then), from bytes `init` checked to be UTF-8.
extension RecordView: ContactReport {
    @inline(__always)
    func text(_ t: Text) -> FoldText? { t.isPresent ? FoldText(validUTF8: raw(t)) : nil }

    var atText: FoldText { text(spans.at) ?? FoldText("") }
    var addressText: FoldText? { text(spans.address) }
    var erasedAddressProblem: String?? {
        guard erasedDigestOffset != 0 else { return nil }
        let problem = string(erasedProblem) ?? ""
        return .some(problem.isEmpty ? nil : problem)
    }
    var codeText: FoldText? { text(spans.code) }
    var reasonText: FoldText? { text(spans.reason) }

    func providerRefText(reusing current: FoldText?) -> FoldText? {
        guard spans.providerRef.isPresent else { return nil }
        if let current, current.equals(raw(spans.providerRef)) { return current }
        return text(spans.providerRef)
    }
}
