/// JSON string contents (the bytes between the quotes): decoding, for values and keys, and the
/// one writer of JSON strings the ledger has (export lines, canonical bytes, answers).
enum JSONString {
    /// Whether a byte must be escaped inside a JSON string as the ledger writes it: `"`, `\` and
    /// U+0000–U+001F. (In UTF-8, bytes below 0x80 are only ever ASCII characters, so checking
    /// bytes finds exactly the scalars that need escaping.)
    @inline(__always)
    static func needsEscape(_ b: UInt8) -> Bool {
        b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\")
    }

    /// Appends a JSON string escaping only `"`, `\` and U+0000–U+001F (as `\u00xx`, lowercase):
    /// the escaping of export lines, canonical bytes (DESIGN.md §3) and answers.
    static func appendQuoted<C: Collection<UInt8>>(_ utf8: C, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if utf8.withContiguousStorageIfAvailable({ appendEscaped($0, to: &out) }) == nil {
            Array(utf8).withUnsafeBufferPointer { appendEscaped($0, to: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `appendQuoted` for text built as a String. Most text needs no escape and is appended whole.
    static func appendQuoted(_ s: String, to out: inout String) {
        let plain = s.utf8.withContiguousStorageIfAvailable { !$0.contains(where: needsEscape) }
            ?? !s.utf8.contains(where: needsEscape)
        if plain {
            out += "\""
            out += s
            out += "\""
            return
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count + 8)
        appendQuoted(s.utf8, to: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }

    /// The body of `appendQuoted`: the runs between bytes that need escaping are copied whole
    /// (most strings need no escape at all, and byte-by-byte appends dominated export and hashing).
    private static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var runStart = 0
        for i in 0..<bytes.count {
            let b = bytes[i]
            guard needsEscape(b) else { continue }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
            if b < 0x20 {
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30])
                Hex.append(CollectionOfOne(b), to: &out)
            } else {
                out.append(UInt8(ascii: "\\"))
                out.append(b)
            }
            runStart = i + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
    }

    /// The value of four hex digits at `at`, or nil when they are not four hex digits.
    static func hex4(_ p: UnsafeRawBufferPointer, _ at: Int) -> UInt32? {
        guard at + 4 <= p.count else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            guard let d = Hex.value(of: p[at + k]) else { return nil }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    /// The UTF-8 bytes a string's content stands for, escapes resolved. The content must already
    /// have been scanned by `StrictJSON` (escapes well formed). A lone surrogate is written in its
    /// 3-byte generalized form (ED A0 80 …) so that keys still compare by code units; such text
    /// never reaches an `Event` because lines holding one are rejected.
    static func decode(_ raw: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            let b = raw[i]
            guard b == UInt8(ascii: "\\"), i + 1 < raw.count else {
                out.append(b)
                i += 1
                continue
            }
            let e = raw[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(raw, i) ?? 0xFFFD
                i += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF, i + 5 < raw.count,
                    raw[i] == UInt8(ascii: "\\"), raw[i + 1] == UInt8(ascii: "u"),
                    let low = hex4(raw, i + 2), low >= 0xDC00 && low <= 0xDFFF
                {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                appendUTF8(scalar, to: &out)
            default: out.append(e)  // `"`, `\`, `/`
            }
        }
        return out
    }

    /// The decoded content as a String (no copy through an array when there is no escape).
    static func string(_ raw: UnsafeRawBufferPointer, hasEscape: Bool) -> String {
        hasEscape ? String(decoding: decode(raw), as: UTF8.self) : String(decoding: raw, as: UTF8.self)
    }

    /// Appends a code point as UTF-8 (surrogates in their generalized 3-byte form).
    static func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
        switch v {
        case ..<0x80:
            out.append(UInt8(v))
        case ..<0x800:
            out.append(UInt8(0xC0 | v >> 6))
            out.append(UInt8(0x80 | v & 0x3F))
        case ..<0x10000:
            out.append(UInt8(0xE0 | v >> 12))
            out.append(UInt8(0x80 | v >> 6 & 0x3F))
            out.append(UInt8(0x80 | v & 0x3F))
        default:
            out.append(UInt8(0xF0 | v >> 18))
            out.append(UInt8(0x80 | v >> 12 & 0x3F))
            out.append(UInt8(0x80 | v >> 6 & 0x3F))
            out.append(UInt8(0x80 | v & 0x3F))
        }
    }
}
