/// The stored form and the size of a `meta` object (interchange.md §1, DESIGN.md §3).
enum MetaText {
    /// The value's compact text and its measured size.
    ///
    /// `text` is the bytes as received with insignificant whitespace removed: strings (escapes
    /// included) and numbers are copied byte for byte, so the hash chain covers what was sent.
    ///
    /// `size` is the length in UTF-8 bytes of the value written compactly by the reference model
    /// (Python's `json.dumps(v, ensure_ascii=False, separators=(",", ":"))`), which the 64 KiB limit
    /// is defined on: strings re-escaped (only `"`, `\`, `\b\f\n\r\t` short, other U+0000–U+001F as
    /// `\u00xx`, everything else raw), integers as their digits (`-0` as `0`), other numbers as the
    /// shortest text that reads back to the same double (`Infinity` when out of range).
    static func compact(_ p: UnsafeRawBufferPointer) -> (text: String, size: Int) {
        var size = 0
        let text = String(unsafeUninitializedCapacity: p.count) { out in
            var n = 0
            var i = 0
            while i < p.count {
                let b = p[i]
                switch b {
                case 0x20, 0x09, 0x0A, 0x0D:
                    i += 1
                case UInt8(ascii: "\""):
                    let start = i
                    size += stringSize(p, &i)
                    for k in start..<i { out[n] = p[k]; n += 1 }
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    let start = i
                    while i < p.count, isNumberByte(p[i]) { i += 1 }
                    let token = UnsafeRawBufferPointer(rebasing: p[start..<i])
                    size += numberSize(token)
                    for k in start..<i { out[n] = p[k]; n += 1 }
                default:
                    out[n] = b
                    n += 1
                    size += 1
                    i += 1
                }
            }
            return n
        }
        return (text, size)
    }

    static func isNumberByte(_ b: UInt8) -> Bool {
        isDigit(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+") || b == UInt8(ascii: ".")
            || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
    }

    /// The re-escaped size (quotes included) of the string starting at `i`; moves `i` past it.
    static func stringSize(_ p: UnsafeRawBufferPointer, _ i: inout Int) -> Int {
        var size = 2
        i += 1
        while i < p.count, p[i] != UInt8(ascii: "\"") {
            guard p[i] == UInt8(ascii: "\\") else {
                size += 1
                i += 1
                continue
            }
            let e = p[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "/"): size += 1
            case UInt8(ascii: "u"):
                let unit = JSONString.hex4(p, i) ?? 0
                i += 4
                if unit >= 0xD800 && unit <= 0xDBFF, i + 1 < p.count, p[i] == UInt8(ascii: "\\"),
                    p[i + 1] == UInt8(ascii: "u"), let low = JSONString.hex4(p, i + 2),
                    low >= 0xDC00 && low <= 0xDFFF
                {
                    i += 6
                    size += 4
                } else {
                    size += scalarSize(unit)
                }
            default: size += 2  // \" \\ \b \f \n \r \t
            }
        }
        i += 1
        return size
    }

    /// The written size of one BMP code point from a `\u` escape.
    static func scalarSize(_ v: UInt32) -> Int {
        switch v {
        case 0x08, 0x09, 0x0A, 0x0C, 0x0D, 0x22, 0x5C: 2
        case ..<0x20: 6
        case ..<0x80: 1
        case ..<0x800: 2
        default: 3
        }
    }

    /// The written size of a number token.
    static func numberSize(_ token: UnsafeRawBufferPointer) -> Int {
        var integer = true
        for b in token where b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
            integer = false
        }
        if integer {
            let negativeZero = token.count == 2 && token[0] == UInt8(ascii: "-") && token[1] == UInt8(ascii: "0")
            return negativeZero ? 1 : token.count
        }
        let value = Double(String(decoding: token, as: UTF8.self)) ?? 0
        if value.isInfinite { return value < 0 ? 9 : 8 }
        return value.description.utf8.count
    }
}
