import CampaignLedger

/// How one generated campaign's life goes, decided before it is simulated.
struct CampaignPlan {
    enum Ending {
        /// Started, perhaps paused and resumed, then finished when the sending window closed.
        case finished
        /// Started, then canceled by an admin part-way; waiting contacts become canceled_by_admin.
        case canceled
        /// Created and loaded with contacts, never started.
        case neverStarted
    }

    let index: Int
    let id: String
    let channel: Channel
    let name: String
    let contacts: Int
    let ending: Ending
    let pauses: Bool
    /// The fixed dispute story lives in this campaign (`HistoryGenerator.storyCampaign`).
    let isStory: Bool

    /// The plan of campaign `index`; the random parts are drawn in the simulation, from the
    /// campaign's own seed, so campaign ids and endings do not depend on the seed.
    init(index: Int, of campaigns: Int, contacts: Int, channels: [Channel], story: Bool) {
        self.index = index
        self.contacts = contacts
        isStory = story && index == 0
        channel = isStory ? .whatsapp : channels[index % channels.count]
        if isStory {
            id = HistoryGenerator.storyCampaign
            name = "Spring promo"
        } else {
            let themes = channel == .telephone ? DemoCatalog.telephoneThemes : DemoCatalog.messagingThemes
            let theme = themes[(index / channels.count) % themes.count]
            let number = String(index)
            id = "\(theme)-\(DemoCatalog.tag(channel))-" + String(repeating: "0", count: max(0, 3 - number.count)) + number
            let label = switch channel {
            case .whatsapp: "WhatsApp"
            case .sms: "SMS"
            case .telephone: "calls"
            }
            name = "\(DemoCatalog.displayName(theme)) (\(label))"
        }
        if campaigns >= 3 && index == campaigns - 1 {
            ending = .neverStarted
        } else if index % 4 == 2 {
            ending = .canceled
        } else {
            ending = .finished
        }
        pauses = !isStory && ending != .neverStarted && index % 3 == 1
    }
}
