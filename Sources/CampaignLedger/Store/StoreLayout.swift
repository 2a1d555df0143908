import LMDB

/// The named LMDB databases of a ledger and how their keys are built (docs/format.md).
struct StoreLayout {
    /// The on-disk format this code reads and writes. A store of a newer format is refused.
    static let formatVersion: UInt32 = 2

    static let names = [
        "meta", "events", "ids", "campaign_positions", "contact_positions", "redeliveries",
        "registry", "builds",
    ]

    /// The databases holding sorted lists of positions (u64 big-endian) under each key.
    static let kinds: [String: DatabaseKind] = [
        "ids": .sortedFixedSizeDuplicates, "campaign_positions": .sortedFixedSizeDuplicates,
        "contact_positions": .sortedFixedSizeDuplicates,
    ]

    /// Format 1's indexes, which the migration to format 2 replaces (docs/format.md).
    static let formatOneIndexes = ["event_ids", "campaign_streams", "contact_streams"]

    let meta: Database
    let events: Database
    /// Event id digest (`idKey`) → the positions of the events whose id has that digest.
    let ids: Database
    /// A campaign's stream: `campaignPrefix` → its positions.
    let campaignStreams: Database
    /// A contact's stream: `contactStreamPrefix` → its positions.
    let contactStreams: Database
    let redeliveries: Database
    let registry: Database
    let builds: Database
    /// Provider callbacks waiting for an event that records their message id (`parked`: key
    /// len(ref) u16 BE ‖ ref ‖ event id → the parked callback as JSON, docs/format.md). Created
    /// when a writable process opens the store; nil in a read-only store made before it existed.
    var parked: Database?

    static let parkedName = "parked"

    init(_ dbs: [Database]) {
        meta = dbs[0]
        events = dbs[1]
        ids = dbs[2]
        campaignStreams = dbs[3]
        contactStreams = dbs[4]
        redeliveries = dbs[5]
        registry = dbs[6]
        builds = dbs[7]
    }

    // MARK: meta keys

    static let formatKey = Array("format".utf8)
    static let headKey = Array("head".utf8)
    static let redeliveryCountKey = Array("redeliveries".utf8)
    static let activeBuildKey = Array("active_build".utf8)

    // MARK: keys

    /// `len(campaign) ‖ campaign`: campaigns are 1–128 bytes, so one length byte suffices.
    static func campaignPrefix(_ campaign: String) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(campaign.utf8.count + 1)
        key.append(UInt8(campaign.utf8.count))
        key.append(contentsOf: campaign.utf8)
        return key
    }

    /// `len(campaign) ‖ campaign ‖ contact`.
    static func contactKey(_ campaign: String, _ contact: String) -> [UInt8] {
        contactKey(prefix: campaignPrefix(campaign), contact.utf8)
    }

    /// `contactKey` from the campaign's prefix (`campaignPrefix`) and the contact's UTF-8 bytes.
    static func contactKey(prefix: [UInt8], _ contact: some Collection<UInt8>) -> [UInt8] {
        var key = prefix
        key.reserveCapacity(prefix.count + contact.count)
        key.append(contentsOf: contact)
        return key
    }

    /// `len(campaign) ‖ campaign ‖ len(contact) ‖ contact`: the prefix of a contact's stream
    /// entries (the length byte keeps contact "a" from matching contact "ab").
    static func contactStreamPrefix(_ campaign: String, _ contact: String) -> [UInt8] {
        var key = campaignPrefix(campaign)
        key.append(UInt8(contact.utf8.count))
        key.append(contentsOf: contact.utf8)
        return key
    }

    /// The key of an event id in `ids`: the first 8 bytes of SHA-256 of its UTF-8 bytes.
    static func idKey(_ id: String) -> [UInt8] {
        var id = id
        return id.withUTF8 { idKey(utf8: UnsafeRawBufferPointer($0)) }
    }

    static func idKey(utf8: UnsafeRawBufferPointer) -> [UInt8] {
        SHA256Digest.withDigest(of: utf8) { Array($0.prefix(8)) }
    }

    /// Registry keys: 0x01 ‖ campaign for a campaign, 0x02 ‖ contactKey for a contact.
    static func registryCampaignKey(_ campaign: String) -> [UInt8] { [0x01] + Array(campaign.utf8) }
    static func registryContactKey(_ campaign: String, _ contact: String) -> [UInt8] {
        [0x02] + contactKey(campaign, contact)
    }
}

/// What validation needs to know of a campaign (domain.md §5): its channel and phase.
struct CampaignRegistryEntry: Sendable, Hashable {
    enum Phase: UInt8, Sendable { case notStarted = 0, sending = 1, paused = 2, ended = 3 }
    var channel: Channel
    var phase: Phase

    var bytes: [UInt8] { [channel.storeCode, phase.rawValue] }

    init(channel: Channel, phase: Phase) {
        self.channel = channel
        self.phase = phase
    }

    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 2, let channel = Channel(storeCode: bytes[0]),
            let phase = Phase(rawValue: bytes[1])
        else { return nil }
        self.init(channel: channel, phase: phase)
    }
}

/// What validation needs to know of a contact: removed or not, and its highest resolved attempt.
struct ContactRegistryEntry: Sendable, Hashable {
    var removed: Bool
    var highestAttempt: UInt32
    /// Whether a `contact.forgotten` was appended (docs/erasure.md).
    var forgotten = false

    /// flags u8 (bit 0 removed, bit 1 forgotten) · highest attempt u32.
    var bytes: [UInt8] { [(removed ? 1 : 0) | (forgotten ? 2 : 0)] + highestAttempt.bigEndianBytes }

    init(removed: Bool, highestAttempt: UInt32, forgotten: Bool = false) {
        self.removed = removed
        self.highestAttempt = highestAttempt
        self.forgotten = forgotten
    }

    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 5, bytes[0] <= 3 else { return nil }
        self.init(
            removed: bytes[0] & 1 != 0,
            highestAttempt: UInt32(bigEndianBytes: UnsafeRawBufferPointer(rebasing: bytes[1...]))!,
            forgotten: bytes[0] & 2 != 0)
    }
}

extension Channel {
    /// One byte in stored records (docs/format.md). Never renumber.
    var storeCode: UInt8 {
        switch self {
        case .whatsapp: 1
        case .sms: 2
        case .telephone: 3
        }
    }

    init?(storeCode: UInt8) {
        switch storeCode {
        case 1: self = .whatsapp
        case 2: self = .sms
        case 3: self = .telephone
        default: return nil
        }
    }
}
