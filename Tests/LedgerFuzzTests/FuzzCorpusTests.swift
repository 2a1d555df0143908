import Foundation
import LedgerFuzzTargets
import Testing

/// The checked-in fuzz corpus (`Tests/Fuzz/corpus/<target>/`: the seeds and what libFuzzer's
/// long runs kept, crashes found included) replayed through each target's invariants in the
/// ordinary build: a regression of any input libFuzzer once found shows here without libFuzzer.
@Suite struct FuzzCorpusTests {
    static let corpusRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/corpus")

    static func inputs(_ target: FuzzTarget) -> [URL] {
        let dir = corpusRoot.appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.sorted().map { dir.appendingPathComponent($0) }
    }

    @Test func everyTargetHasACorpusAndEveryCorpusATarget() throws {
        let dirs = try FileManager.default.contentsOfDirectory(atPath: Self.corpusRoot.path).sorted()
        #expect(dirs == FuzzTarget.allCases.map(\.rawValue).sorted())
        for target in FuzzTarget.allCases {
            #expect(Self.inputs(target).count >= 2, "\(target.rawValue): seed the corpus with the test fixtures")
        }
    }

    /// `tools/fuzz.sh --libfuzzer --list` (no build needed) names exactly the targets. It takes
    /// milliseconds; the limits leave room for a machine loaded by the rest of the suite (CI once
    /// needed more than a minute to start and reap it).
    @Test(.timeLimit(.minutes(3)))
    func theScriptListsEveryTarget() {
        let listed = FuzzScript.run(["--libfuzzer", "--list"], timeout: 150)
        #expect(listed.status == 0, "\(listed.output)")
        #expect(listed.output.split(separator: "\n").map(String.init) == FuzzTarget.allCases.map(\.rawValue).sorted())
    }

    @Test(arguments: FuzzTarget.allCases)
    func corpusKeepsTheInvariants(_ target: FuzzTarget) throws {
        for url in Self.inputs(target) {
            let data = try Data(contentsOf: url)
            #expect(throws: Never.self, "\(target.rawValue) \(url.lastPathComponent)") { try target.run([UInt8](data)) }
        }
    }
}
