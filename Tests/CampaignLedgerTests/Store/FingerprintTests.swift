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
