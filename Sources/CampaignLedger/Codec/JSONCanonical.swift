/// A canonical text of a JSON value, so that values equal as JSON (objects unordered, numbers by
/// value, `true` ≠ `1`) have equal texts and unequal values different texts.
///
/// Rules (an auditor recomputing derived ids needs them):
/// - no whitespace; object members sorted by their decoded keys' UTF-8 bytes (unsigned);
/// - strings decoded, then written escaping only `"`, `\` and U+0000–U+001F (`\u00xx`, lowercase);
/// - `true`, `false`, `null` as such;
/// - a number without fraction or exponent: its digits, `-0` written `0`;
/// - any other number is read as an IEEE double (round to nearest): if out of range,
///   `Infinity`/`-Infinity`; if integral, the exact integer's digits (`1.0` → `1`, `1e30` →
///   `1000000000000000019884624838656`); otherwise the shortest decimal that reads back to the
///   same double, in Python's `repr` style (`0.5`, `1e-05`, `1.5e+300`).
///
/// Numbers compare as the reference model compares them: integers exactly, other numbers as
/// doubles, an integer equal to a double when the double's exact value is that integer.
enum JSONCanonical {
    /// The canonical text of one JSON text, or nil when it is not JSON as `StrictJSON` reads it
    /// (which also rejects repeated keys and nesting deeper than `StrictJSON.maxDepth`).
    static func canonical(_ text: String) -> [UInt8]? {
        var copy = text
        return copy.withUTF8 { u in
            let p = UnsafeRawBufferPointer(u)
            guard UTF8Check.isValid(p), let document = try? StrictJSON.read(p) else { return nil }
            var start = 0
            var end = p.count
            while isSpace(p[start]) { start += 1 }
            while isSpace(p[end - 1]) { end -= 1 }
            var out: [UInt8] = []
            out.reserveCapacity(u.count)
            write(p, start..<end, document: document, to: &out)
            return out
        }
    }

    /// Writes the canonical text of the value at `range`, which `StrictJSON` has read. `document`
    /// is its reading when the value is the whole text; a nested container is read here, one
    /// level at a time (so the bytes of a value nested n deep are read n times).
    private static func write(
        _ p: UnsafeRawBufferPointer, _ range: Range<Int>, document: StrictJSON.Document?,
        to out: inout [UInt8]
    ) {
        switch p[range.lowerBound] {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let inner = UnsafeRawBufferPointer(rebasing: p[range])
            guard let d = document ?? (try? StrictJSON.read(inner)) else { return }
            // Member ranges count from the start of the text that was read.
            let base = document == nil ? range.lowerBound : 0
            func value(_ m: StrictJSON.Member) -> Range<Int> { base + m.valueStart..<base + m.valueEnd }
            if d.isObject {
                let members = d.members.map { m in
                    let raw = UnsafeRawBufferPointer(rebasing: p[base + m.keyStart..<base + m.keyEnd])
                    return (key: m.keyHasEscape ? JSONString.decode(raw) : Array(raw), value: value(m))
                }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
                out.append(UInt8(ascii: "{"))
                for (n, member) in members.enumerated() {
                    if n > 0 { out.append(UInt8(ascii: ",")) }
                    JSONString.appendQuoted(member.key, to: &out)
                    out.append(UInt8(ascii: ":"))
                    write(p, member.value, document: nil, to: &out)
                }
                out.append(UInt8(ascii: "}"))
            } else {
                out.append(UInt8(ascii: "["))
                for (n, m) in d.members.enumerated() {
                    if n > 0 { out.append(UInt8(ascii: ",")) }
                    write(p, value(m), document: nil, to: &out)
                }
                out.append(UInt8(ascii: "]"))
            }
        case UInt8(ascii: "\""):
            let content = UnsafeRawBufferPointer(rebasing: p[range.lowerBound + 1..<range.upperBound - 1])
            JSONString.appendQuoted(JSONString.decode(content), to: &out)
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[range]))
        default:
            out.append(contentsOf: number(UnsafeRawBufferPointer(rebasing: p[range])))
        }
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    /// The canonical text of a number token.
    static func number(_ token: UnsafeRawBufferPointer) -> [UInt8] {
        let isInteger = !token.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        if isInteger {
            let negative = token.first == UInt8(ascii: "-")
            let digits = negative ? UnsafeRawBufferPointer(rebasing: token.dropFirst()) : token
            let isZero = digits.allSatisfy { $0 == UInt8(ascii: "0") }
            return (negative && !isZero ? [UInt8(ascii: "-")] : []) + Array(digits)
        }
        let d = Double(String(decoding: token, as: UTF8.self)) ?? .nan
        if d.isInfinite { return Array((d < 0 ? "-Infinity" : "Infinity").utf8) }
        if d == d.rounded(.towardZero) { return exactInteger(d) }
        return Array(d.description.utf8)
    }

    /// The exact decimal digits of an integral double.
    static func exactInteger(_ d: Double) -> [UInt8] {
        if d == 0 { return [UInt8(ascii: "0")] }
        let sign: [UInt8] = d < 0 ? [UInt8(ascii: "-")] : []
        let m = d.magnitude
        if m < 9.2e18 { return sign + Array(String(UInt64(m)).utf8) }
        // m = significand × 2^shift with a 53-bit integer significand: double a decimal number.
        let significand = m.significandBitPattern | (1 << 52)
        let shift = Int(m.exponent) - 52
        var digits = Array(String(significand).utf8.reversed()).map { $0 - 0x30 }  // little-endian
        for _ in 0..<shift {
            var carry: UInt8 = 0
            for k in digits.indices {
                let v = digits[k] * 2 + carry
                digits[k] = v % 10
                carry = v / 10
            }
            if carry > 0 { digits.append(carry) }
        }
        return sign + digits.reversed().map { $0 + 0x30 }
    }
}
