import Foundation
#if canImport(Darwin)
    internal import Crypto
#else
    import CLedgerSupport
#endif

/// SHA-256 of the short inputs the ledger hashes once or more per event (the hash chain, address
/// digests, derived ids, fingerprint terms).
///
/// Where swift-crypto builds its vendored BoringSSL (Linux and the other non-Apple platforms),
/// this calls BoringSSL's one-shot `SHA256`, declared in `CLedgerSupport`: `Crypto.SHA256`
/// allocates, zeroes and frees a context object per digest, which costs more than hashing such
/// inputs. On Apple platforms swift-crypto is CryptoKit and that symbol does not exist, so the
/// digest comes from the public `SHA256.hash(data:)`.
enum SHA256Digest {
    /// Calls `body` with the digest of `bytes` (32 bytes, valid during the call).
    @inline(__always)
    static func withDigest<R>(of bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        #if canImport(Darwin)
            return try SHA256.hash(data: bytes).withUnsafeBytes { try body($0) }
        #else
            var digest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            withUnsafeMutableBytes(of: &digest) { out in
                _ = CCryptoBoringSSL_SHA256(
                    bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count,
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            return try withUnsafeBytes(of: digest) { try body($0) }
        #endif
    }

    /// Calls `body` with the digest of `first ‖ second`.
    static func withDigest<R>(
        of first: some ContiguousBytes, _ second: some ContiguousBytes, _ body: (UnsafeRawBufferPointer) throws -> R
    ) rethrows -> R {
        try first.withUnsafeBytes { a in
            try second.withUnsafeBytes { b in
                try withUnsafeTemporaryAllocation(byteCount: a.count + b.count, alignment: 8) { both in
                    if let to = both.baseAddress {
                        if !a.isEmpty { to.copyMemory(from: a.baseAddress!, byteCount: a.count) }
                        if !b.isEmpty { (to + a.count).copyMemory(from: b.baseAddress!, byteCount: b.count) }
                    }
                    return try withDigest(of: UnsafeRawBufferPointer(both), body)
                }
            }
        }
    }

    /// The digest of `bytes`.
    static func hash(_ bytes: some ContiguousBytes) -> [UInt8] {
        bytes.withUnsafeBytes { withDigest(of: $0) { Array($0) } }
    }

    /// The digest of `first ‖ second`.
    static func hash(_ first: some ContiguousBytes, _ second: some ContiguousBytes) -> [UInt8] {
        withDigest(of: first, second) { Array($0) }
    }
}
