import CampaignLedger

/// One line of a generated campaign before it is put in arrival order: what happened (`at`) and
/// when the ledger receives it (`arrival`), which for provider callbacks is later and sometimes
/// much later. A re-delivery points at the event it repeats and is written as the same text.
struct GeneratedEvent {
    var type: EventType
    /// When it happened at the source, microseconds since 1970.
    var at: Int64
    /// When the ledger receives it, microseconds since 1970; the file is in this order.
    var arrival: Int64
    var style: TimeStyle
    var id: String?
    /// Index of the contact in its campaign, or -1 for `campaign.*` events.
    var contact: Int32 = -1
    var address: String?
    var status: ContactState?
    /// The attempt the report truly belongs to (0 for other types). Written out only when the
    /// ledger's resolution rule (domain.md §3) would not give the same number, or by choice.
    var attempt: Int32 = 0
    var code: String?
    var reason: String?
    var providerRef: String?
    var actor: String?
    /// Always write `attempt` (the story contact, so its timeline reads without resolution).
    var alwaysWriteAttempt = false
    /// Index of the event this line re-delivers, or -1.
    var repeats: Int32 = -1
    /// A later line re-delivers this one, so its text is kept when written.
    var isRepeated = false
}

/// A waiting dispatch: contact `contact` is due for attempt `attempt` at `ready`.
struct DispatchJob: Comparable {
    var ready: Int64
    var order: Int32
    var contact: Int32
    var attempt: Int32

    static func < (a: DispatchJob, b: DispatchJob) -> Bool {
        (a.ready, a.order) < (b.ready, b.order)
    }
}

/// A binary min-heap, enough for the dispatch queue.
struct MinHeap<Element: Comparable> {
    private(set) var items: [Element] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count && items[left] < items[smallest] { smallest = left }
            if right < items.count && items[right] < items[smallest] { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
