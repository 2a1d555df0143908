import Crypto
import Testing
@testable import CampaignLedger

@Suite struct FingerprintTests {
    /// The terms come from swift-crypto's BoringSSL through a declaration of our own (CLedgerSupport):
    /// they must be the SHA-256 that `Crypto.SHA256` computes, for every length around the
    /// 64-byte block boundaries and for empty keys or values.
    @Test func aTermIsTheSHA256OfKeyAndValue() {
        var g = SeededGenerator(state: 7)
        for length in Array(0...200) + [1_000, 4_096, 100_000] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &g) }
            let cut = length == 0 ? 0 : Int.random(in: 0...length, using: &g)
            let (key, value) = (Array(bytes[..<cut]), Array(bytes[cut...]))
            let expected = Array(SHA256.hash(data: bytes))
            #expect(Fingerprint.term(key, value).bytes == expected, "length \(length), key \(cut)")
            bytes.withUnsafeBytes { #expect(Fingerprint.term(record: $0).bytes == expected) }
        }
    }

    /// `SHA256Digest` on the published test vectors (FIPS 180-2, appendix B), whichever path
    /// the platform compiles (BoringSSL's one-shot, or `SHA256.hash(data:)` on Apple platforms).
    @Test func digestsMatchThePublishedVectors() {
        #expect(Hex.encode(SHA256Digest.hash(Array("abc".utf8)))
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.encode(SHA256Digest.hash(Array("abcdbcdecdefdefgefghfghighijhi".utf8), Array("jkijkljklmklmnlmnomnopnopq".utf8)))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(Hex.encode(SHA256Digest.hash([UInt8]()))
            == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    /// Every digest the ledger takes (hash chain, address digests, derived ids, terms) goes through
    /// `SHA256Digest`: the same bytes as `Crypto.SHA256`, one part or two.
    @Test func digestsAreCryptosSHA256() {
        var g = SeededGenerator(state: 9)
        for length in Array(0...130) + [1_000, 70_000] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &g) }
            let cut = length == 0 ? 0 : Int.random(in: 0...length, using: &g)
            let expected = Array(SHA256.hash(data: bytes))
            #expect(SHA256Digest.hash(bytes) == expected, "length \(length)")
            #expect(SHA256Digest.hash(Array(bytes[..<cut]), Array(bytes[cut...])) == expected, "length \(length), cut \(cut)")
        }
        let previous = [UInt8](repeating: 7, count: 32), digest = [UInt8](repeating: 9, count: 32)
        #expect(ExportLine.chain(previous: previous, digest: digest) == Array(SHA256.hash(data: previous + digest)))
        let salt = [UInt8](repeating: 3, count: 16)
        #expect(ExportLine.addressDigest(salt: salt, address: "+420 601 234 567")
            == Hex.encode(Array(SHA256.hash(data: salt + Array("+420 601 234 567".utf8)))))
    }

    @Test func termsAddUpInAnyOrderAndSubtractBack() {
        let terms = (0..<50).map { Fingerprint.term(Array("key\($0)".utf8), Array("value\($0)".utf8)) }
        var forward = Fingerprint()
        for t in terms { forward.add(t) }
        var backward = Fingerprint()
        for t in terms.reversed() { backward.add(t) }
        #expect(forward == backward && forward != Fingerprint())
        for t in terms { forward.subtract(t) }
        #expect(forward == Fingerprint())
    }
}
