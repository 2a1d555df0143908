/// A text a contact's fold keeps (a report's `at`, `code`, `reason` or `providerRef`, the
/// address): up to 39 UTF-8 bytes inline, longer ones in a `String`. A fold replaces some of these
/// on almost every report; kept inline, a replacement is a copy of a few words, where a `String`
/// of more than 15 bytes costs an allocation, the release of the text it replaces, and reference
/// counting on every copy of the fold. Timestamps (20–35 bytes), phone numbers, provider codes
/// and most provider references fit.
///
/// Always valid UTF-8: made from a `String`, from bytes a record check has validated, or from
/// bytes checked here.
struct FoldText: Sendable, Hashable {
    static let inlineCapacity = 39

    /// The inline bytes, zero past their count, and the count in the 40th byte (`spilled`
    /// when the text is in `long`): 40 bytes, and 8 for the reference, so a fold stays small
    /// (its memory is most of a rebuild's).
    private var words: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
    /// The text when longer than `inlineCapacity`.
    private var long: LongText?

    private final class LongText: Sendable {
        let string: String
        init(_ string: String) { self.string = string }
    }

    private static let spilled: UInt8 = .max
    private var inlineCount: UInt8 { withUnsafeBytes(of: words) { $0[39] } }
    private mutating func setCount(_ n: UInt8) { withUnsafeMutableBytes(of: &words) { $0[39] = n } }

    /// A text of bytes the caller knows to be valid UTF-8 (a record's checked strings).
    @inline(__always)
    init(validUTF8 bytes: UnsafeRawBufferPointer) {
        if bytes.count <= Self.inlineCapacity {
            if let from = bytes.baseAddress, !bytes.isEmpty {
                withUnsafeMutableBytes(of: &words) { $0.baseAddress!.copyMemory(from: from, byteCount: bytes.count) }
            }
            setCount(UInt8(bytes.count))
        } else {
            setCount(Self.spilled)
            long = LongText(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// Bytes of unknown origin: nil unless valid UTF-8.
    init?(validating bytes: UnsafeRawBufferPointer) {
        guard UTF8Check.isValid(bytes) else { return nil }
        self.init(validUTF8: bytes)
    }

    init(_ string: String) {
        if string.utf8.count > Self.inlineCapacity {
            setCount(Self.spilled)
            long = LongText(string)
        } else {
            var s = string
            self = s.withUTF8 { FoldText(validUTF8: UnsafeRawBufferPointer($0)) }
        }
    }

    /// The text's UTF-8 bytes, for the duration of `body`.
    @inline(__always)
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if inlineCount == Self.spilled {
            var s = long!.string
            return try s.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
        }
        return try withUnsafeBytes(of: words) { try body(UnsafeRawBufferPointer(rebasing: $0[..<Int(inlineCount)])) }
    }

    var string: String {
        if inlineCount == Self.spilled { return long!.string }
        return withBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether the text's bytes are `bytes`.
    @inline(__always)
    func equals(_ bytes: UnsafeRawBufferPointer) -> Bool {
        withBytes { mine in
            mine.count == bytes.count
                && (mine.isEmpty || memcmp(mine.baseAddress!, bytes.baseAddress!, mine.count) == 0)
        }
    }

    static func == (a: FoldText, b: FoldText) -> Bool {
        if a.inlineCount != b.inlineCount { return false }
        if a.inlineCount == spilled { return a.long!.string == b.long!.string }
        return a.words == b.words
    }

    func hash(into hasher: inout Hasher) {
        withBytes { hasher.combine(bytes: $0) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
