import CampaignLedger

/// The real-world vocabulary of the demo history: phone numbers as people upload them, provider
/// error codes with their documented meanings, campaign themes and the people who act.
enum DemoCatalog {
    /// A failure as a provider reports it.
    struct Failure: Sendable {
        let code: String?
        let reason: String
    }

    // MARK: WhatsApp Cloud API (Meta) error codes

    static let whatsappRateLimit = Failure(code: "130429", reason: "Rate limit hit: Cloud API message throughput has been reached")
    static let whatsappGeneric = Failure(code: "131000", reason: "Something went wrong")
    static let whatsappUndeliverable = Failure(code: "131026", reason: "Message undeliverable: the number has no WhatsApp account or uses an outdated app")
    static let whatsappEcosystem = Failure(code: "131049", reason: "This message was not delivered to maintain healthy ecosystem engagement")
    static let whatsappMarketingOptOut = Failure(code: "131050", reason: "User has stopped receiving marketing messages from this business")
    static let whatsappBlocked = Failure(code: nil, reason: "The recipient blocked the business number or reported it as spam")

    // MARK: Twilio Programmable Messaging error codes

    static let twilioQueueOverflow = Failure(code: "30001", reason: "Queue overflow")
    static let twilioUnreachable = Failure(code: "30003", reason: "Unreachable destination handset")
    static let twilioUnknownHandset = Failure(code: "30005", reason: "Unknown destination handset")
    static let twilioLandline = Failure(code: "30006", reason: "Landline or unreachable carrier")
    static let twilioFiltered = Failure(code: "30007", reason: "Message filtered by the carrier")
    static let twilioUnknown = Failure(code: "30008", reason: "Unknown error")

    // MARK: Telephone (SIP responses seen by the dialer)

    static let sipNoAnswer = Failure(code: "480", reason: "No answer (SIP 480 Temporarily Unavailable)")
    static let sipBusy = Failure(code: "486", reason: "Busy (SIP 486 Busy Here)")
    static let sipDeclined = Failure(code: "603", reason: "Rejected by the client (SIP 603 Decline)")
    static let sipNotFound = Failure(code: "404", reason: "Number not in service (SIP 404 Not Found)")
    static let sipTrunkDown = Failure(code: "503", reason: "Could not dial: SIP 503 Service Unavailable from the trunk")

    // MARK: People and systems

    static let admins = ["admin:alice", "admin:bob", "admin:marketa"]
    static let operators = ["operator:jana", "operator:petr", "operator:eva", "operator:tomas", "operator:lucie", "operator:martin"]
    static let sender = "sender"
    static let scheduler = "scheduler"
    static let dialer = "dialer"
    static let optOutList = "system:opt-out-list"

    static func provider(_ channel: Channel) -> String {
        switch channel {
        case .whatsapp: "provider:whatsapp"
        case .sms: "provider:twilio"
        case .telephone: "dialer"
        }
    }

    // MARK: Campaigns

    static let messagingThemes = [
        "winter-sale", "renewal-reminder", "appointment-confirmation", "delivery-survey",
        "loyalty-points", "black-friday", "payment-reminder", "product-launch", "welcome-series",
        "win-back",
    ]
    static let telephoneThemes = [
        "contract-renewal", "satisfaction-call", "lead-callback", "overdue-invoice", "event-invitation",
    ]
    static let templates = ["seasonal_offer_v3", "reminder_generic", "survey_invite", "points_balance"]
    static let segments = ["loyal-customers", "lapsed-90d", "new-signups", "prague-region", "b2b-accounts"]
    static let languages = ["cs", "en", "sk", "de"]

    /// "winter-sale" → "Winter sale".
    static func displayName(_ theme: String) -> String {
        let words = theme.split(separator: "-").joined(separator: " ")
        return words.prefix(1).uppercased() + words.dropFirst()
    }

    static func tag(_ channel: Channel) -> String {
        switch channel {
        case .whatsapp: "wa"
        case .sms: "sms"
        case .telephone: "call"
        }
    }

    // MARK: Addresses

    /// Spellings that fail the address rule (domain.md §5): letters, a slash, a tab, empty, too
    /// short or too long. Such contacts become `invalid_record`.
    static let invalidAddresses = [
        "", "n/a", "unknown", "601 23x 567", "12345", "+420 60", "0151/23456789", "+1 415 555 01O2",
        "+420\t601 234 567", "0800-FLOWERS", "+44 7700 900123 ext. 4", "1234567890123456789",
    ]

    /// A dialable number in one of the ways people type them.
    static func validAddress(_ r: inout DemoRandom) -> String {
        let country = r.below(100)
        if country < 36 {                                       // Czechia
            let n = "\(r.pick(["601", "602", "603", "604", "605", "606", "608", "702", "720", "731", "736", "777"]))\(r.digits(6))"
            let a = n.prefix(3), b = n.dropFirst(3).prefix(3), c = n.suffix(3)
            switch r.below(6) {
            case 0, 1: return "+420 \(a) \(b) \(c)"
            case 2: return "+420\(n)"
            case 3: return "00420 \(a) \(b) \(c)"
            case 4: return "\(a) \(b) \(c)"
            default: return "+420-\(a)-\(b)-\(c)"
            }
        } else if country < 62 {                                // United States
            let area = r.pick(["415", "212", "646", "312", "617", "206", "512"])
            let exchange = "\(2 + r.below(8))\(r.digits(2))"
            let line = r.digits(4)
            switch r.below(6) {
            case 0, 1: return "(\(area)) \(exchange)-\(line)"
            case 2: return "+1.\(area).\(exchange).\(line)"
            case 3: return "+1 \(area)-\(exchange)-\(line)"
            case 4: return "+1\(area)\(exchange)\(line)"
            default: return "1 (\(area)) \(exchange)-\(line)"
            }
        } else if country < 74 {                                // United Kingdom
            let n = r.digits(6)
            switch r.below(3) {
            case 0: return "+44 7700 \(n)"
            case 1: return "07700 \(n.prefix(3)) \(n.suffix(3))"
            default: return "+44 (0)7700 \(n)"
            }
        } else if country < 84 {                                // Germany
            let prefix = r.pick(["151", "160", "170", "176"])
            let n = r.digits(8)
            return r.chance(0.5) ? "+49 \(prefix) \(n.prefix(4)) \(n.suffix(4))" : "0\(prefix) \(n)"
        } else if country < 92 {                                // Slovakia
            let n = "9\(r.pick(["03", "05", "11", "15", "44"]))\(r.digits(6))"
            let a = n.prefix(3), b = n.dropFirst(3).prefix(3), c = n.suffix(3)
            return r.chance(0.5) ? "+421 \(a) \(b) \(c)" : "0\(a) \(b) \(c)"
        } else {                                                // Poland
            let n = "5\(r.digits(8))"
            let a = n.prefix(3), b = n.dropFirst(3).prefix(3), c = n.suffix(3)
            return r.chance(0.5) ? "+48 \(a) \(b) \(c)" : "\(a)-\(b)-\(c)"
        }
    }
}
