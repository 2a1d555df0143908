/// RFC 3339 date-times as interchange.md §1 accepts them, and the `recordedAt` format.
///
/// Accepted: `YYYY-MM-DD` `T`|`t` `HH:MM:SS` [`.` one or more digits] (`Z`|`z`|`±HH:MM`), a real
/// Gregorian date (years 0001–9999, leap years included), hours ≤ 23, minutes and seconds ≤ 59
/// (no leap second), zone offsets up to 23:59. Fraction digits past the 9th are dropped (rounded
/// down). Integer calendar arithmetic only: Foundation's parsers roll 2026-02-30 over to March.
package enum RFC3339 {
    /// Why a text is not a time the ledger accepts.
    package struct ParseError: Error, Sendable, Equatable {
        package var message: String
    }

    /// The instant of an RFC 3339 date-time, in nanoseconds since 1970-01-01T00:00:00Z.
    package static func parseNanos(_ text: String) throws(ParseError) -> Int64 {
        var copy = text
        let result = copy.withUTF8 { u in
            Result { () throws(ParseError) -> Int64 in try parseNanos(UnsafeRawBufferPointer(u)) }
        }
        return try result.get()
    }

    /// The instant of an RFC 3339 date-time given as UTF-8 bytes, in nanoseconds since 1970.
    package static func parseNanos(_ p: UnsafeRawBufferPointer) throws(ParseError) -> Int64 {
        let shape = ParseError(message: "not an RFC 3339 time with a zone, like 2026-11-20T09:30:02Z")
        guard p.count >= 20 else { throw shape }
        func digits(_ at: Int, _ n: Int) -> Int? {
            var v = 0
            for k in at..<at + n {
                guard isDigit(p[k]) else { return nil }
                v = v * 10 + Int(p[k] &- 0x30)
            }
            return v
        }
        guard let year = digits(0, 4), p[4] == UInt8(ascii: "-"), let month = digits(5, 2),
            p[7] == UInt8(ascii: "-"), let day = digits(8, 2),
            p[10] == UInt8(ascii: "T") || p[10] == UInt8(ascii: "t"), let hour = digits(11, 2),
            p[13] == UInt8(ascii: ":"), let minute = digits(14, 2), p[16] == UInt8(ascii: ":"),
            let second = digits(17, 2)
        else { throw shape }
        var i = 19
        var fraction: Int64 = 0
        if p[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < p.count && isDigit(p[i]) {
                if i - start < 9 { fraction = fraction * 10 + Int64(p[i] &- 0x30) }
                i += 1
            }
            guard i > start else { throw shape }
            for _ in min(i - start, 9)..<9 { fraction *= 10 }
        }
        guard i < p.count else { throw shape }
        var offsetSeconds = 0
        var badOffset = false
        switch p[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard i + 1 == p.count else { throw shape }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard i + 6 == p.count, let oh = digits(i + 1, 2), p[i + 3] == UInt8(ascii: ":"),
                let om = digits(i + 4, 2)
            else { throw shape }
            badOffset = oh > 23 || om > 59
            offsetSeconds = (oh * 3600 + om * 60) * (p[i] == UInt8(ascii: "+") ? 1 : -1)
        default:
            throw shape
        }
        guard year >= 1, month >= 1, month <= 12, day >= 1, day <= daysIn(month: month, year: year)
        else {
            let date = String(decoding: UnsafeRawBufferPointer(rebasing: p[0..<10]), as: UTF8.self)
            throw ParseError(message: "no such date \(date)")
        }
        guard hour <= 23, minute <= 59, second <= 59 else { throw ParseError(message: "no such time of day") }
        guard !badOffset else { throw ParseError(message: "no such zone offset") }
        let seconds = Int64(daysFromCivil(year: year, month: month, day: day)) * 86_400
            + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        let (scaled, overflow1) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, overflow2) = scaled.addingReportingOverflow(fraction)
        guard !overflow1, !overflow2 else {
            throw ParseError(message: "outside the range the ledger stores (1677-09-21 to 2262-04-11)")
        }
        return total
    }

    /// Whether `year` is a Gregorian leap year.
    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    package static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of a day count since 1970-01-01 (H. Hinnant's civil_from_days).
    package static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ` for microseconds since 1970 (the `recordedAt` format:
    /// UTC, always six fraction digits).
    package static func formatMicros(_ micros: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(27)
        appendMicros(micros, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the `recordedAt` text of `micros` to a byte buffer.
    static func appendMicros(_ micros: Int64, to out: inout [UInt8]) {
        let (seconds, fraction) = floorDivide(micros, 1_000_000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let date = civilFromDays(Int(days))
        func put(_ v: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var v = v
            while divisor > 0 {
                out.append(UInt8(0x30 + v / divisor % 10))
                v %= divisor
                divisor /= 10
            }
        }
        put(date.year, 4)
        out.append(UInt8(ascii: "-"))
        put(date.month, 2)
        out.append(UInt8(ascii: "-"))
        put(date.day, 2)
        out.append(UInt8(ascii: "T"))
        put(Int(secondOfDay / 3600), 2)
        out.append(UInt8(ascii: ":"))
        put(Int(secondOfDay / 60 % 60), 2)
        out.append(UInt8(ascii: ":"))
        put(Int(secondOfDay % 60), 2)
        out.append(UInt8(ascii: "."))
        put(Int(fraction), 6)
        out.append(UInt8(ascii: "Z"))
    }

    /// Division rounding toward negative infinity, with a non-negative remainder.
    static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b
        let r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }
}
