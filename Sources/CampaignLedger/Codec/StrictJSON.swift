/// A strict JSON reader for one line of bytes (interchange.md §1, DESIGN.md §2).
///
/// Foundation's parsers accept repeated keys, a byte-order mark and `1.0` as an integer, so the
/// ledger reads JSON itself. The reader walks the bytes once, without recursion (an explicit stack,
/// capped at `maxDepth`), and reports the members of the top-level object (or the elements of a
/// top-level array) as byte ranges: values are decoded only when a caller needs them. It rejects everything RFC 8259 rejects plus repeated
/// keys (compared after decoding escapes, at any depth). A `\u` escape that leaves a lone
/// surrogate is not a syntax error here: it is flagged on the member that holds it, because the
/// line rules name the field (interchange.md §1).
package enum StrictJSON {
    /// Containers nested deeper than this are rejected ("nested too deeply").
    package static let maxDepth = 512

    /// The kind of a JSON value.
    package enum Kind: UInt8, Sendable {
        case null, bool, number, string, object, array
    }

    /// One member of the top-level object: where its key and value are in the line.
    package struct Member: Sendable {
        /// Byte range of the key's content (between its quotes).
        package var keyStart: Int
        package var keyEnd: Int
        /// The key contains a backslash escape (decode it before comparing).
        package var keyHasEscape: Bool
        /// A `\u` escape in the key leaves a lone surrogate.
        package var keyHasLoneSurrogate: Bool
        /// Byte range of the value as received (for a string: including its quotes).
        package var valueStart: Int
        package var valueEnd: Int
        package var kind: Kind
        /// For a number: no fraction and no exponent. For a bool: the value is `true`.
        package var flag: Bool
        /// For a string: it contains a backslash escape.
        package var valueHasEscape: Bool
        /// A `\u` escape anywhere inside the value (nested keys too) leaves a lone surrogate.
        package var valueHasLoneSurrogate: Bool
        /// Nesting depth of the value: 0 for a scalar, 1 for an object or array of scalars, …
        package var depth: Int

        /// A top-level array element before its value is read (no key).
        static let element = Member(
            keyStart: 0, keyEnd: 0, keyHasEscape: false, keyHasLoneSurrogate: false, valueStart: 0,
            valueEnd: -1, kind: .null, flag: false, valueHasEscape: false, valueHasLoneSurrogate: false,
            depth: 0)
    }

    /// Why a line is not JSON (the line rules report it on the field `line`).
    package struct SyntaxError: Error, Sendable, Equatable {
        package var message: String
        /// Byte offset where the problem was found.
        package var offset: Int
    }

    /// The result of reading a line: the members of its top-level object in order; for an array,
    /// its elements (members with an empty key); for a scalar, none.
    package struct Document: Sendable {
        package var members: [Member]
        package var isObject: Bool
    }

    /// Reads one JSON text (the whole buffer, surrounding JSON whitespace allowed). The bytes must
    /// already be valid UTF-8 (see `UTF8Check`); the reader checks everything else.
    package static func read(_ bytes: UnsafeRawBufferPointer) throws(SyntaxError) -> Document {
        var reader = Reader(bytes)
        return try reader.document()
    }
}

/// The state of one open container while reading.
private struct Frame {
    var isObject: Bool
    /// Index into `Reader.keys` of this object's first key.
    var firstKey: Int
    /// Decoded keys, built once an object has many keys so that the check stays linear.
    var keySet: Set<[UInt8]>?
}

/// A key already read in an open object: its raw content range.
private struct KeySpan {
    var start: Int
    var end: Int
    var hasEscape: Bool
}

private struct Reader {
    let p: UnsafeRawBufferPointer
    var i = 0
    var frames: [Frame] = []
    var keys: [KeySpan] = []
    // The top-level member being read.
    var members: [StrictJSON.Member] = []
    var surrogateInValue = false
    var deepest = 0

    init(_ p: UnsafeRawBufferPointer) {
        self.p = p
        frames.reserveCapacity(8)
        keys.reserveCapacity(24)
        members.reserveCapacity(16)
    }

    func fail(_ message: String) -> StrictJSON.SyntaxError {
        StrictJSON.SyntaxError(message: message + " at byte \(i + 1)", offset: i)
    }

    mutating func skipSpace() {
        while i < p.count {
            let b = p[i]
            guard b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D else { return }
            i += 1
        }
    }

    /// Reads the whole text with an explicit stack: each turn reads one value or one key.
    mutating func document() throws(StrictJSON.SyntaxError) -> StrictJSON.Document {
        skipSpace()
        let isObject = i < p.count && p[i] == UInt8(ascii: "{")
        var expectKey = false
        while true {
            if expectKey {
                try readKey()
                expectKey = false
                continue
            }
            // A value starts here.
            let startsMember = frames.count == 1
            if startsMember {
                if !frames[0].isObject { members.append(.element) }
                members[members.count - 1].valueStart = i
                surrogateInValue = false
                deepest = 1
            }
            let opened = try readValueStart(startsMember: startsMember)
            if opened {
                // A container opened: what follows is its first key or value, or its end.
                skipSpace()
                guard i < p.count else { throw fail("unexpected end of line") }
                let close: UInt8 = frames[frames.count - 1].isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
                if p[i] == close {
                    i += 1
                    closeFrame()
                } else {
                    if frames[frames.count - 1].isObject { expectKey = true }
                    continue
                }
            }
            // A value ended: continue its container, or finish.
            while true {
                if frames.count == 1 { finishMember() }
                if frames.isEmpty {
                    skipSpace()
                    guard i == p.count else { throw fail("unexpected data after the JSON value") }
                    return StrictJSON.Document(members: members, isObject: isObject)
                }
                skipSpace()
                guard i < p.count else { throw fail("unexpected end of line") }
                let b = p[i]
                let top = frames[frames.count - 1]
                if b == UInt8(ascii: ",") {
                    i += 1
                    skipSpace()
                    if top.isObject { expectKey = true }
                    break
                }
                if b == (top.isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    i += 1
                    closeFrame()
                    continue
                }
                throw fail(top.isObject ? "expected ',' or '}'" : "expected ',' or ']'")
            }
        }
    }

    /// Records the end of a top-level member's value (called when the stack is back at depth 1).
    mutating func finishMember() {
        guard !members.isEmpty, members[members.count - 1].valueEnd < 0 else { return }
        members[members.count - 1].valueEnd = i
        members[members.count - 1].valueHasLoneSurrogate = surrogateInValue
        members[members.count - 1].depth = deepest - 1
    }

    mutating func closeFrame() {
        let frame = frames.removeLast()
        if frame.isObject { keys.removeSubrange(frame.firstKey...) }
    }

    mutating func openFrame(isObject: Bool) throws(StrictJSON.SyntaxError) {
        guard frames.count < StrictJSON.maxDepth else {
            throw fail("nested too deeply (more than \(StrictJSON.maxDepth) levels)")
        }
        frames.append(Frame(isObject: isObject, firstKey: keys.count, keySet: nil))
        if frames.count > deepest { deepest = frames.count }
    }

    /// Reads a scalar, or opens a container; returns whether a container was opened.
    mutating func readValueStart(startsMember: Bool) throws(StrictJSON.SyntaxError) -> Bool {
        guard i < p.count else { throw fail("unexpected end of line, expected a value") }
        var kind = StrictJSON.Kind.null
        var flag = false
        var escaped = false
        switch p[i] {
        case UInt8(ascii: "{"):
            i += 1
            try openFrame(isObject: true)
            kind = .object
        case UInt8(ascii: "["):
            i += 1
            try openFrame(isObject: false)
            kind = .array
        case UInt8(ascii: "\""):
            let s = try scanString()
            escaped = s.hasEscape
            if s.loneSurrogate { surrogateInValue = true }
            kind = .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            flag = try scanNumber()
            kind = .number
        case UInt8(ascii: "t"):
            try literal("true")
            kind = .bool
            flag = true
        case UInt8(ascii: "f"):
            try literal("false")
            kind = .bool
        case UInt8(ascii: "n"):
            try literal("null")
        default:
            throw fail("expected a JSON value")
        }
        if startsMember {
            members[members.count - 1].kind = kind
            members[members.count - 1].flag = flag
            members[members.count - 1].valueHasEscape = escaped
        }
        return kind == .object || kind == .array
    }

    mutating func literal(_ word: StaticString) throws(StrictJSON.SyntaxError) {
        let n = word.utf8CodeUnitCount
        guard i + n <= p.count else { throw fail("expected a JSON value") }
        let w = word.utf8Start
        for k in 0..<n where p[i + k] != w[k] { throw fail("expected a JSON value") }
        i += n
    }

    /// Reads a key and its colon, and checks that the object has no other key equal to it.
    mutating func readKey() throws(StrictJSON.SyntaxError) {
        guard i < p.count, p[i] == UInt8(ascii: "\"") else { throw fail("expected a key string") }
        let start = i + 1
        let s = try scanString()
        let span = KeySpan(start: start, end: i - 1, hasEscape: s.hasEscape)
        try checkUnique(span)
        if frames.count == 1 {
            members.append(StrictJSON.Member(
                keyStart: span.start, keyEnd: span.end, keyHasEscape: s.hasEscape,
                keyHasLoneSurrogate: s.loneSurrogate, valueStart: 0, valueEnd: -1, kind: .null,
                flag: false, valueHasEscape: false, valueHasLoneSurrogate: false, depth: 0))
        } else if s.loneSurrogate {
            surrogateInValue = true
        }
        skipSpace()
        guard i < p.count, p[i] == UInt8(ascii: ":") else { throw fail("expected ':' after a key") }
        i += 1
        skipSpace()
    }

    /// Repeated keys are an error (interchange.md §1). Keys compare after decoding escapes, as
    /// `"a"` and `"\u0061"` are the same key. Small objects compare linearly; from 16 keys on, a
    /// set of decoded keys keeps a 1 MiB line of keys linear.
    mutating func checkUnique(_ span: KeySpan) throws(StrictJSON.SyntaxError) {
        let f = frames.count - 1
        let first = frames[f].firstKey
        let count = keys.count - first
        if count < 16 {
            for k in first..<keys.count where sameKey(keys[k], span) {
                throw fail("repeated key \(Echo.json(keyText(span)))")
            }
        } else {
            if frames[f].keySet == nil {
                var set = Set<[UInt8]>(minimumCapacity: 32)
                for k in first..<keys.count { set.insert(decodedKey(keys[k])) }
                frames[f].keySet = set
            }
            guard frames[f].keySet!.insert(decodedKey(span)).inserted else {
                throw fail("repeated key \(Echo.json(keyText(span)))")
            }
        }
        keys.append(span)
    }

    func sameKey(_ a: KeySpan, _ b: KeySpan) -> Bool {
        if !a.hasEscape && !b.hasEscape {
            let n = a.end - a.start
            guard n == b.end - b.start else { return false }
            for k in 0..<n where p[a.start + k] != p[b.start + k] { return false }
            return true
        }
        return decodedKey(a) == decodedKey(b)
    }

    func decodedKey(_ s: KeySpan) -> [UInt8] {
        let raw = UnsafeRawBufferPointer(rebasing: p[s.start..<s.end])
        return s.hasEscape ? JSONString.decode(raw) : Array(raw)
    }

    func keyText(_ s: KeySpan) -> String {
        String(decoding: decodedKey(s), as: UTF8.self)
    }

    /// Scans a string starting at its opening quote; leaves `i` after the closing quote.
    mutating func scanString() throws(StrictJSON.SyntaxError) -> (hasEscape: Bool, loneSurrogate: Bool) {
        i += 1
        var hasEscape = false
        var lone = false
        while i < p.count {
            let b = p[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return (hasEscape, lone)
            }
            if b < 0x20 { throw fail("control character U+00\(Hex.encode(CollectionOfOne(b))) inside a string (escape it)") }
            if b != UInt8(ascii: "\\") {
                i += 1
                continue
            }
            hasEscape = true
            guard i + 1 < p.count else { break }
            switch p[i + 1] {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                i += 2
            case UInt8(ascii: "u"):
                guard let unit = JSONString.hex4(p, i + 2) else { throw fail("bad \\u escape") }
                i += 6
                if unit >= 0xD800 && unit <= 0xDBFF {
                    if i + 1 < p.count, p[i] == UInt8(ascii: "\\"), p[i + 1] == UInt8(ascii: "u"),
                        let low = JSONString.hex4(p, i + 2), low >= 0xDC00 && low <= 0xDFFF
                    {
                        i += 6
                    } else {
                        lone = true
                    }
                } else if unit >= 0xDC00 && unit <= 0xDFFF {
                    lone = true
                }
            default:
                throw fail("invalid escape in a string")
            }
        }
        throw fail("unterminated string")
    }

    /// Scans a number (RFC 8259 grammar); returns whether it has no fraction and no exponent.
    mutating func scanNumber() throws(StrictJSON.SyntaxError) -> Bool {
        if p[i] == UInt8(ascii: "-") { i += 1 }
        guard i < p.count, isDigit(p[i]) else { throw fail("expected a digit") }
        if p[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while i < p.count && isDigit(p[i]) { i += 1 }
        }
        var integer = true
        if i < p.count && p[i] == UInt8(ascii: ".") {
            integer = false
            i += 1
            guard i < p.count, isDigit(p[i]) else { throw fail("expected a digit after '.'") }
            while i < p.count && isDigit(p[i]) { i += 1 }
        }
        if i < p.count && (p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E")) {
            integer = false
            i += 1
            if i < p.count && (p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-")) { i += 1 }
            guard i < p.count, isDigit(p[i]) else { throw fail("expected a digit in the exponent") }
            while i < p.count && isDigit(p[i]) { i += 1 }
        }
        return integer
    }
}

@inline(__always) func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
