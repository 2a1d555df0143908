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
    /// The canonical text of one JSON text, or nil when it is not JSON or nests deeper than
    /// `StrictJSON.maxDepth`.
    static func canonical(_ text: String) -> [UInt8]? {
        var copy = text
        return copy.withUTF8 { u in
            var r = CanonicalReader(p: UnsafeRawBufferPointer(u))
            var out: [UInt8] = []
            out.reserveCapacity(u.count)
            guard r.value(into: &out, depth: 0) else { return nil }
            r.skipSpace()
            return r.i == u.count ? out : nil
        }
    }

    /// Appends a JSON string escaping only `"`, `\` and U+0000–U+001F (as `\u00xx`): the
    /// escaping of export lines and canonical bytes (DESIGN.md §3).
    static func appendString<C: Collection<UInt8>>(_ utf8: C, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if utf8.withContiguousStorageIfAvailable({ appendEscaped($0, to: &out) }) == nil {
            Array(utf8).withUnsafeBufferPointer { appendEscaped($0, to: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The body of `appendString`: the runs between bytes that need escaping are copied whole
    /// (most strings need no escape at all, and byte-by-byte appends dominated export and hashing).
    private static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var runStart = 0
        for i in 0..<bytes.count {
            let b = bytes[i]
            guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
            if b < 0x20 {
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30])
                out.append(contentsOf: hex2(b).utf8)
            } else {
                out.append(UInt8(ascii: "\\"))
                out.append(b)
            }
            runStart = i + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
    }

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

/// A recursive reader producing canonical text; depth is capped, and any syntax problem gives
/// `false` (stored text is trusted only as far as it checks out).
private struct CanonicalReader {
    let p: UnsafeRawBufferPointer
    var i = 0

    mutating func skipSpace() {
        while i < p.count, p[i] == 0x20 || p[i] == 0x09 || p[i] == 0x0A || p[i] == 0x0D { i += 1 }
    }

    mutating func value(into out: inout [UInt8], depth: Int) -> Bool {
        skipSpace()
        guard i < p.count, depth < StrictJSON.maxDepth else { return false }
        switch p[i] {
        case UInt8(ascii: "{"): return object(into: &out, depth: depth + 1)
        case UInt8(ascii: "["): return array(into: &out, depth: depth + 1)
        case UInt8(ascii: "\""):
            guard let s = string() else { return false }
            JSONCanonical.appendString(s, to: &out)
            return true
        case UInt8(ascii: "t"): return word("true", into: &out)
        case UInt8(ascii: "f"): return word("false", into: &out)
        case UInt8(ascii: "n"): return word("null", into: &out)
        default:
            let start = i
            while i < p.count, MetaText.isNumberByte(p[i]) { i += 1 }
            guard i > start else { return false }
            out.append(contentsOf: JSONCanonical.number(UnsafeRawBufferPointer(rebasing: p[start..<i])))
            return true
        }
    }

    mutating func word(_ w: String, into out: inout [UInt8]) -> Bool {
        let u = Array(w.utf8)
        guard i + u.count <= p.count, p[i..<i + u.count].elementsEqual(u) else { return false }
        i += u.count
        out.append(contentsOf: u)
        return true
    }

    /// A string's decoded bytes; `i` moves past its closing quote.
    mutating func string() -> [UInt8]? {
        let start = i + 1
        var k = start
        while k < p.count, p[k] != UInt8(ascii: "\"") { k += p[k] == UInt8(ascii: "\\") ? 2 : 1 }
        guard k < p.count else { return nil }
        i = k + 1
        return JSONString.decode(UnsafeRawBufferPointer(rebasing: p[start..<k]))
    }

    mutating func object(into out: inout [UInt8], depth: Int) -> Bool {
        i += 1
        var members: [(key: [UInt8], value: [UInt8])] = []
        skipSpace()
        if i < p.count, p[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                skipSpace()
                guard i < p.count, p[i] == UInt8(ascii: "\""), let key = string() else { return false }
                skipSpace()
                guard i < p.count, p[i] == UInt8(ascii: ":") else { return false }
                i += 1
                var v: [UInt8] = []
                guard value(into: &v, depth: depth) else { return false }
                members.append((key, v))
                skipSpace()
                guard i < p.count else { return false }
                i += 1
                if p[i - 1] == UInt8(ascii: "}") { break }
                guard p[i - 1] == UInt8(ascii: ",") else { return false }
            }
        }
        members.sort { $0.key.lexicographicallyPrecedes($1.key) }
        out.append(UInt8(ascii: "{"))
        for (n, m) in members.enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            JSONCanonical.appendString(m.key, to: &out)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: m.value)
        }
        out.append(UInt8(ascii: "}"))
        return true
    }

    mutating func array(into out: inout [UInt8], depth: Int) -> Bool {
        i += 1
        out.append(UInt8(ascii: "["))
        skipSpace()
        if i < p.count, p[i] == UInt8(ascii: "]") {
            i += 1
            out.append(UInt8(ascii: "]"))
            return true
        }
        var first = true
        while true {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            guard value(into: &out, depth: depth) else { return false }
            skipSpace()
            guard i < p.count else { return false }
            i += 1
            if p[i - 1] == UInt8(ascii: "]") { break }
            guard p[i - 1] == UInt8(ascii: ",") else { return false }
        }
        out.append(UInt8(ascii: "]"))
        return true
    }
}
