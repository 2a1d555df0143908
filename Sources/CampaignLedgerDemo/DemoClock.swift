import CampaignLedger

/// How a source spells a time. Every spelling is valid RFC 3339 (interchange.md §1); a history
/// mixes them because real sources do: admin consoles in Prague write `+01:00`, WhatsApp
/// webhooks carry whole seconds, dialers write microseconds.
enum TimeStyle: Sendable {
    /// `2026-03-03T09:00:02Z`
    case seconds
    /// `2026-03-03T09:00:02.125Z`
    case millis
    /// `2026-03-03T09:00:02.125250Z`
    case micros
    /// `2026-03-03T10:00:02+01:00`
    case pragueSeconds
    /// `2026-03-03T10:00:02.125+01:00`
    case pragueMillis
}

/// RFC 3339 text from integer microseconds since 1970, without Foundation (fast, and the same
/// on every platform).
enum DemoClock {
    static let microsPerSecond: Int64 = 1_000_000
    static let second: Int64 = 1_000_000
    static let minute: Int64 = 60 * second
    static let hour: Int64 = 60 * minute
    static let day: Int64 = 24 * hour

    /// Microseconds since 1970 of a UTC civil time.
    static func micros(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) -> Int64 {
        let days = daysFromCivil(year: year, month: month, day: day)
        return ((Int64(days) * 24 + Int64(hour)) * 60 + Int64(minute)) * 60 * microsPerSecond
            + Int64(second) * microsPerSecond
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (the RFC 3339 parser's arithmetic).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        RFC3339.daysFromCivil(year: year, month: month, day: day)
    }

    /// The proleptic Gregorian date of a day counted from 1970-01-01.
    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        RFC3339.civilFromDays(days)
    }

    static func format(_ micros: Int64, _ style: TimeStyle) -> String {
        let offsetSeconds: Int64
        switch style {
        case .pragueSeconds, .pragueMillis: offsetSeconds = 3600
        case .seconds, .millis, .micros: offsetSeconds = 0
        }
        let fraction = micros - floorDiv(micros, microsPerSecond) * microsPerSecond
        let local = floorDiv(micros, microsPerSecond) + offsetSeconds
        let days = floorDiv(local, 86_400)
        let secondOfDay = Int(local - days * 86_400)
        let (year, month, day) = civilFromDays(Int(days))

        var out: [UInt8] = []
        out.reserveCapacity(32)
        append(year, width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        append(month, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        append(day, width: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        append(secondOfDay / 3600, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        append(secondOfDay / 60 % 60, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        append(secondOfDay % 60, width: 2, to: &out)
        switch style {
        case .seconds, .pragueSeconds:
            break
        case .millis, .pragueMillis:
            out.append(UInt8(ascii: "."))
            append(Int(fraction / 1000), width: 3, to: &out)
        case .micros:
            out.append(UInt8(ascii: "."))
            append(Int(fraction), width: 6, to: &out)
        }
        switch style {
        case .pragueSeconds, .pragueMillis: out.append(contentsOf: "+01:00".utf8)
        case .seconds, .millis, .micros: out.append(UInt8(ascii: "Z"))
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    private static func append(_ value: Int, width: Int, to out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }
}
