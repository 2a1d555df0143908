import Foundation
import CampaignLedger

/// SplitMix64: a small seeded generator so that random tests repeat exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random valid events, as the line parser would produce them (only used fields present).
enum RandomEvents {
    static let alphabet: [String] = ["a", "Z", "9", "-", " ", "é", "😀", "\"", "\\", "/", "\u{7F}", "ü", ".", ":"]

    static func text(_ g: inout SeededGenerator, min: Int, max: Int, controls: Bool) -> String {
        var s = ""
        let n = Int.random(in: min...max, using: &g)
        for _ in 0..<n {
            if controls && Int.random(in: 0..<8, using: &g) == 0 {
                s.unicodeScalars.append(Unicode.Scalar(UInt8.random(in: 0..<0x20, using: &g)))
            } else {
                s += alphabet.randomElement(using: &g)!.replacingOccurrences(of: "\u{7F}", with: controls ? "\u{7F}" : "x")
            }
        }
        return s
    }

    static func id(_ g: inout SeededGenerator) -> String {
        var s = text(&g, min: 1, max: 12, controls: false)
        s.unicodeScalars.removeAll { $0.value == 0x7F }
        return s.isEmpty ? "x" : s
    }

    /// An id of any shape, a third of the time one the ledger assigns (`imp-`/`ev-` + 32 hex).
    static func eventID(_ g: inout SeededGenerator) -> String {
        switch Int.random(in: 0..<6, using: &g) {
        case 0: "imp-" + (0..<32).map { _ in String(Int.random(in: 0..<16, using: &g), radix: 16) }.joined()
        case 1: "ev-" + (0..<32).map { _ in String(Int.random(in: 0..<16, using: &g), radix: 16) }.joined()
        default: id(&g)
        }
    }

    static func maybe<T>(_ g: inout SeededGenerator, _ make: (inout SeededGenerator) -> T) -> T? {
        Bool.random(using: &g) ? make(&g) : nil
    }

    static let metas = [#"{}"#, #"{"a":1,"b":[true,false,null,-0.5e3]}"#, #"{"x\u00e9":"\n\"","n":{"m":[[]]}}"#]

    static func event(_ g: inout SeededGenerator) -> Event {
        let type = EventType.allCases.randomElement(using: &g)!
        let nanos = Int64.random(in: 0..<4_000_000_000, using: &g) * 1_000_000_000
        let seconds = nanos / 1_000_000_000
        let at = RFC3339.formatMicros(seconds * 1_000_000)
        var e = Event(type: type, campaign: id(&g), at: at, atNanos: nanos + 0)
        e.atNanos = seconds * 1_000_000_000 + Int64(at.split(separator: ".")[1].prefix(6))! * 1000
        e.id = maybe(&g, eventID)
        e.code = maybe(&g, id)
        e.reason = maybe(&g) { text(&$0, min: 0, max: 20, controls: true) }
        e.providerRef = maybe(&g, id)
        e.actor = maybe(&g) { text(&$0, min: 0, max: 20, controls: true) }
        e.meta = maybe(&g) { metas.randomElement(using: &$0)! }
        if type == .campaignCreated {
            e.channel = Channel.allCases.randomElement(using: &g)!
            e.name = maybe(&g) { text(&$0, min: 0, max: 20, controls: true) }
        }
        if type.isContactEvent { e.contact = id(&g) }
        if type == .contactAdded {
            if Int.random(in: 0..<4, using: &g) == 0 {
                // Erased (docs/erasure.md): the digest and whether the address was dialable.
                e.erasedAddress = ErasedAddress(
                    digest: (0..<32).map { _ in UInt8.random(in: 0...255, using: &g) },
                    problem: maybe(&g) { _ in "empty phone number" })
            } else {
                e.address = text(&g, min: 0, max: 16, controls: true)
            }
        }
        if type == .contactForgotten { e.reason = text(&g, min: 0, max: 20, controls: true) }
        if type == .contactStatus {
            e.status = ContactState.allCases.filter { ![.initial, .removed, .invalidRecord].contains($0) }
                .randomElement(using: &g)!
            e.attempt = maybe(&g) { Int.random(in: 1...1_000_000, using: &$0) }
        }
        return e
    }

    /// A recorded event that record `version` can hold (an erased address needs version 2).
    static func recorded(_ g: inout SeededGenerator, version: UInt8 = EventRecord.version) -> RecordedEvent {
        var e = event(&g)
        if version == 1, e.erasedAddress != nil {
            e.erasedAddress = nil
            e.address = "+420601234567"
        }
        return RecordedEvent(
            position: UInt64.random(in: 1...UInt64.max, using: &g),
            recordedAtMicros: Int64.random(in: 0..<8_000_000_000_000_000, using: &g), event: e,
            addressSalt: e.type == .contactAdded && e.erasedAddress == nil ? (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) } : nil,
            hash: (0..<32).map { _ in UInt8.random(in: 0...255, using: &g) })
    }
}
